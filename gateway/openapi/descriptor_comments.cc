#include "gateway/openapi/descriptor_comments.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gateway/openapi/embedded_descriptors.h"
#include "google/protobuf/descriptor.pb.h"

namespace training::gateway::openapi {
namespace {

using google::protobuf::SourceLocation;

// protoc keeps the space after `//` on every line; the comment's own
// indentation (lists, code) is kept beyond it.
std::string Clean(const std::string& raw) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(raw, '\n')) {
    absl::ConsumePrefix(&line, " ");
    lines.emplace_back(absl::StripTrailingAsciiWhitespace(line));
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  while (!lines.empty() && lines.front().empty()) lines.erase(lines.begin());
  return absl::StrJoin(lines, "\n");
}

template <typename D>
std::string CommentOf(const D* found) {
  SourceLocation location;
  if (found == nullptr || !found->GetSourceLocation(&location)) return "";
  return Clean(location.leading_comments.empty() ? location.trailing_comments
                                                 : location.leading_comments);
}

}  // namespace

absl::StatusOr<std::unique_ptr<DescriptorComments>> DescriptorComments::FromSet(
    absl::string_view serialized_set) {
  google::protobuf::FileDescriptorSet set;
  if (!set.ParseFromArray(serialized_set.data(),
                          static_cast<int>(serialized_set.size()))) {
    return absl::InvalidArgumentError("descriptor set does not parse");
  }
  std::unique_ptr<DescriptorComments> comments(new DescriptorComments());
  // --include_imports orders files after their imports.
  for (const auto& file : set.file()) {
    if (comments->pool_.BuildFile(file) == nullptr) {
      return absl::InvalidArgumentError("descriptor set does not build: " +
                                        file.name());
    }
  }
  return comments;
}

absl::StatusOr<std::unique_ptr<DescriptorComments>>
DescriptorComments::Embedded() {
  return FromSet(EmbeddedDescriptorSet());
}

std::string DescriptorComments::For(
    const google::protobuf::Descriptor* message) const {
  return CommentOf(pool_.FindMessageTypeByName(message->full_name()));
}
std::string DescriptorComments::For(
    const google::protobuf::FieldDescriptor* field) const {
  return CommentOf(pool_.FindFieldByName(field->full_name()));
}
std::string DescriptorComments::For(
    const google::protobuf::EnumDescriptor* type) const {
  return CommentOf(pool_.FindEnumTypeByName(type->full_name()));
}
std::string DescriptorComments::For(
    const google::protobuf::EnumValueDescriptor* value) const {
  return CommentOf(pool_.FindEnumValueByName(value->full_name()));
}
std::string DescriptorComments::For(
    const google::protobuf::ServiceDescriptor* service) const {
  return CommentOf(pool_.FindServiceByName(service->full_name()));
}
std::string DescriptorComments::For(
    const google::protobuf::MethodDescriptor* method) const {
  return CommentOf(pool_.FindMethodByName(method->full_name()));
}

std::string FirstSentence(absl::string_view comment) {
  absl::string_view paragraph = comment.substr(0, comment.find("\n\n"));
  size_t end = paragraph.find(". ");
  if (end == absl::string_view::npos) end = paragraph.find(".\n");
  if (end != absl::string_view::npos) paragraph = paragraph.substr(0, end + 1);
  std::string one_line = absl::StrReplaceAll(paragraph, {{"\n", " "}});
  return std::string(absl::StripAsciiWhitespace(one_line));
}

}  // namespace training::gateway::openapi

#include "common/requests/update_mask.h"

#include "google/api/field_behavior.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/util/field_mask_util.h"

namespace training::requests {

bool IsOutputOnly(const google::protobuf::FieldDescriptor& field) {
  const auto& behaviors =
      field.options().GetRepeatedExtension(google::api::field_behavior);
  for (int behavior : behaviors) {
    if (behavior == google::api::OUTPUT_ONLY ||
        behavior == google::api::IDENTIFIER) {
      return true;
    }
  }
  return false;
}

void ValidateUpdateMask(const google::protobuf::FieldMask& mask,
                        const google::protobuf::Descriptor& message,
                        std::vector<FieldViolation>& out) {
  if (mask.paths().empty()) {
    out.push_back({"update_mask", "must name at least one field"});
    return;
  }
  for (const std::string& path : mask.paths()) {
    const google::protobuf::FieldDescriptor* field =
        message.FindFieldByName(path);
    if (path == "*") {
      out.push_back({"update_mask", "must name fields; '*' is not accepted"});
    } else if (field == nullptr) {
      out.push_back({"update_mask", "names a field that does not exist"});
    } else if (path == "etag" || IsOutputOnly(*field)) {
      out.push_back(
          {"update_mask", "must not name the name or output-only fields"});
    } else {
      continue;
    }
    return;
  }
}

void ApplyUpdateMask(const google::protobuf::FieldMask& mask,
                     const google::protobuf::Message& from,
                     google::protobuf::Message& to) {
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(from, mask, options,
                                                        &to);
}

}  // namespace training::requests

#ifndef TRAINING_GATEWAY_OPENAPI_DESCRIPTOR_COMMENTS_H_
#define TRAINING_GATEWAY_OPENAPI_DESCRIPTOR_COMMENTS_H_

// The contract's comments, for the OpenAPI document's descriptions. The
// generated descriptors the gateway routes by carry no comments (protoc
// leaves source info out of generated code), so the build embeds the
// descriptor set written with --include_source_info and this looks each
// element up there by its full name.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace training::gateway::openapi {

class DescriptorComments {
 public:
  // From a serialized FileDescriptorSet; INVALID_ARGUMENT when it does not
  // parse or its files do not build a pool.
  static absl::StatusOr<std::unique_ptr<DescriptorComments>> FromSet(
      absl::string_view serialized_set);
  // The set the build embeds in the gateway.
  static absl::StatusOr<std::unique_ptr<DescriptorComments>> Embedded();

  // The leading comment (else the trailing one) of the element with the
  // same full name, each line's comment indentation removed; "" when the
  // element or its comment is not there.
  std::string For(const google::protobuf::Descriptor* message) const;
  std::string For(const google::protobuf::FieldDescriptor* field) const;
  std::string For(const google::protobuf::EnumDescriptor* type) const;
  std::string For(const google::protobuf::EnumValueDescriptor* value) const;
  std::string For(const google::protobuf::ServiceDescriptor* service) const;
  std::string For(const google::protobuf::MethodDescriptor* method) const;

 private:
  DescriptorComments() = default;

  google::protobuf::DescriptorPool pool_;
};

// The first sentence of `comment` (up to the first ". " or the end of its
// first paragraph), on one line: an operation's summary.
std::string FirstSentence(absl::string_view comment);

}  // namespace training::gateway::openapi

#endif  // TRAINING_GATEWAY_OPENAPI_DESCRIPTOR_COMMENTS_H_

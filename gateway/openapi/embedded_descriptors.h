#ifndef TRAINING_GATEWAY_OPENAPI_EMBEDDED_DESCRIPTORS_H_
#define TRAINING_GATEWAY_OPENAPI_EMBEDDED_DESCRIPTORS_H_

// The contract's FileDescriptorSet with source info (comments), carried in
// the binary: the build writes its source (cmake/embed_file.cmake) from
// proto/CMakeLists.txt's TRAINING_DESCRIPTOR_SET.

#include "absl/strings/string_view.h"

namespace training::gateway::openapi {

absl::string_view EmbeddedDescriptorSet();

}  // namespace training::gateway::openapi

#endif  // TRAINING_GATEWAY_OPENAPI_EMBEDDED_DESCRIPTORS_H_

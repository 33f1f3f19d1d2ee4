#ifndef TRAINING_COMMON_REQUESTS_UPDATE_MASK_H_
#define TRAINING_COMMON_REQUESTS_UPDATE_MASK_H_

// What every Update RPC does with its field mask (AIP-134): which paths a
// client may name, and how the named fields are copied.

#include <vector>

#include "common/status/errors.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"

namespace training::requests {

// Whether a field is set by the server only (OUTPUT_ONLY or IDENTIFIER).
bool IsOutputOnly(const google::protobuf::FieldDescriptor& field);

// Checks an update mask against the fields a client may set on `message`:
// non-empty, no `*`, each path a known top-level field that is neither
// `name`, `etag` nor output-only. Violations are reported on `update_mask`.
void ValidateUpdateMask(const google::protobuf::FieldMask& mask,
                        const google::protobuf::Descriptor& message,
                        std::vector<FieldViolation>& out);

// Copies the masked fields of `from` onto `to` (repeated and message fields
// are replaced, not merged).
void ApplyUpdateMask(const google::protobuf::FieldMask& mask,
                     const google::protobuf::Message& from,
                     google::protobuf::Message& to);

}  // namespace training::requests

#endif  // TRAINING_COMMON_REQUESTS_UPDATE_MASK_H_

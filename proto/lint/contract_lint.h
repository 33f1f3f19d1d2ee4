#ifndef TRAINING_PROTO_LINT_CONTRACT_LINT_H_
#define TRAINING_PROTO_LINT_CONTRACT_LINT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"

namespace training::contract {

// One breach of the contract rules, naming the element and the rule.
struct LintFinding {
  // Full name of the offending element (`training.booking.v1.Booking.name`).
  std::string element;
  // Stable rule id: access-missing, http-missing, http-on-internal,
  // http-verb, http-path-variable, http-body, enum-zero, time-type,
  // comment-missing, webhook-rule.
  std::string rule;
  // What is wrong, for a person.
  std::string message;
};

// The AIP kind of a method, from its name.
enum class MethodKind {
  kGet,
  kList,
  kBatchGet,
  kCreate,
  kUpdate,
  kDelete,
  kCustom,
  // A custom method that only reads (AIP-136 allows GET for these):
  // Count... and Download....
  kReadOnlyCustom
};
MethodKind ClassifyMethod(absl::string_view method_name);

// Lints every file of `set` whose package starts with `package_prefix`,
// using the comments in the set's source info (protoc
// --include_source_info). Returns INVALID_ARGUMENT when the set does not
// build into a descriptor pool; otherwise the findings, empty when clean.
absl::StatusOr<std::vector<LintFinding>> LintDescriptorSet(
    const google::protobuf::FileDescriptorSet& set,
    absl::string_view package_prefix = "training.");

// Lints one file already in a pool built with source info.
std::vector<LintFinding> LintFile(const google::protobuf::FileDescriptor& file);

}  // namespace training::contract

#endif  // TRAINING_PROTO_LINT_CONTRACT_LINT_H_

#ifndef TRAINING_COMMON_TESTING_STATUS_MATCHERS_H_
#define TRAINING_COMMON_TESTING_STATUS_MATCHERS_H_

// IsOk(), StatusIs() and IsOkAndHolds() for absl::Status and absl::StatusOr<T>,
// which Abseil 20220623 does not ship.

#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace training::testing {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P(StatusIs, code,
          "has code " +
              absl::StatusCodeToString(static_cast<absl::StatusCode>(code))) {
  const absl::Status& status = GetStatus(arg);
  if (status.code() != code) *result_listener << "status is " << status;
  return status.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " +
               absl::StatusCodeToString(static_cast<absl::StatusCode>(code))) {
  const absl::Status& status = GetStatus(arg);
  if (status.code() != code) {
    *result_listener << "status is " << status;
    return false;
  }
  return ::testing::ExplainMatchResult(
      message_matcher, std::string(status.message()), result_listener);
}

// A StatusOr that is OK and whose value matches `value_matcher`.
MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace training::testing

// Asserts that `rexpr` (a StatusOr) is OK, then moves its value into
// `lhs` (a declaration or a variable); on failure the test stops there,
// never reading a value that is not there.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  TRAINING_ASSERT_OK_AND_ASSIGN_IMPL_(   \
      TRAINING_STATUS_MATCHERS_CONCAT_(status_or_, __LINE__), lhs, rexpr)
#define TRAINING_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                        \
  ASSERT_TRUE(statusor.ok()) << statusor.status();                \
  lhs = *std::move(statusor)
#define TRAINING_STATUS_MATCHERS_CONCAT_(a, b) \
  TRAINING_STATUS_MATCHERS_CONCAT_INNER_(a, b)
#define TRAINING_STATUS_MATCHERS_CONCAT_INNER_(a, b) a##b

#endif  // TRAINING_COMMON_TESTING_STATUS_MATCHERS_H_

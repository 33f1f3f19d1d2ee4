#ifndef TRAINING_COMMON_STATUS_MACROS_H_
#define TRAINING_COMMON_STATUS_MACROS_H_

// Abseil 20220623 has no status macros; these are the suite's only copies.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TRAINING_STATUS_CONCAT_INNER_(a, b) a##b
#define TRAINING_STATUS_CONCAT_(a, b) TRAINING_STATUS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                            \
  do {                                                   \
    ::absl::Status training_status_ = (expr);            \
    if (!training_status_.ok()) return training_status_; \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, F());` declares x from an OK StatusOr, or returns
// its status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  TRAINING_ASSIGN_OR_RETURN_IMPL_(  \
      TRAINING_STATUS_CONCAT_(training_statusor_, __LINE__), lhs, expr)

#define TRAINING_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                    \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

#endif  // TRAINING_COMMON_STATUS_MACROS_H_

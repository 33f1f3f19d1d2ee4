#ifndef TRAINING_COMMON_AUTH_SERVICE_NAMES_H_
#define TRAINING_COMMON_AUTH_SERVICE_NAMES_H_

// The services of the suite, by the names service keys and the access
// rules of internal RPCs use (`callers`). One list, read by the key-file
// parser and the contract lint.

#include <algorithm>
#include <array>

#include "absl/strings/string_view.h"

namespace training::auth {

inline constexpr std::array<absl::string_view, 5> kServiceNames = {
    "catalogue", "booking", "notification", "content", "gateway"};

inline bool IsServiceName(absl::string_view name) {
  return std::find(kServiceNames.begin(), kServiceNames.end(), name) !=
         kServiceNames.end();
}

}  // namespace training::auth

#endif  // TRAINING_COMMON_AUTH_SERVICE_NAMES_H_

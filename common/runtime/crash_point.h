#ifndef TRAINING_COMMON_RUNTIME_CRASH_POINT_H_
#define TRAINING_COMMON_RUNTIME_CRASH_POINT_H_

// Named crash points for crash tests: CrashPoint("relay.after_xadd") kills
// the process with SIGKILL when the environment variable TRAINING_CRASH_AT
// names that point, and does nothing otherwise (one string compare). Tests
// set the variable on a child process to stop it at an exact place instead
// of "kill it after 200 ms".

#include "absl/strings/string_view.h"

namespace training::runtime {

void CrashPoint(absl::string_view name);

}  // namespace training::runtime

#endif  // TRAINING_COMMON_RUNTIME_CRASH_POINT_H_

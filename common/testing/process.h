#ifndef TRAINING_COMMON_TESTING_PROCESS_H_
#define TRAINING_COMMON_TESTING_PROCESS_H_

// Test support for cross-process tests: start a binary as a child process
// with its output in a file, wait for the port it writes, signal it, and
// collect its exit status; plus a plain HTTP GET for metrics endpoints.

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace training::testing {

class ChildProcess {
 public:
  // Starts `binary` with `args`, the current environment plus `env`, and
  // stdout/stderr appended to `log_path`.
  ChildProcess(const std::string& binary, const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env,
               const std::string& log_path);
  // Kills the process (SIGKILL) if still running.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal);
  // Waits for exit up to `timeout` (a watchdog, not a timing claim);
  // returns the exit code, or nullopt when it did not exit or was killed by
  // a signal.
  std::optional<int> Wait(absl::Duration timeout);
  // The log written so far.
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string log_path_;
};

// Waits (watchdog `timeout`) until `path` holds a port number.
std::optional<int> WaitForPortFile(const std::string& path,
                                   absl::Duration timeout);

// GET http://127.0.0.1:<port><path>; the body, or nullopt on failure.
std::optional<std::string> HttpGet(int port, const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago (bind 0, close).
int FreePort();

// A fresh directory under this test process's own temporary root
// ($TEST_TMPDIR or /tmp, then training-test-<pid>), which is removed with
// everything in it when the process exits normally.
std::string MakeTempDir(const std::string& name);

}  // namespace training::testing

#endif  // TRAINING_COMMON_TESTING_PROCESS_H_

#ifndef TRAINING_TESTS_SMTP_SINK_PROCESS_H_
#define TRAINING_TESTS_SMTP_SINK_PROCESS_H_

// The tests' SMTP server: tests/smtp_sink.py on Debian's aiosmtpd, on a
// free port of loopback, storing every message it accepts in a folder
// (index.jsonl lists them) and obeying the relay rules in a file.

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/testing/process.h"

namespace training::testing {

struct SmtpSink {
  std::unique_ptr<ChildProcess> child;
  int port = 0;  // 0 when it did not start
};

// `dir` holds its port file and log; `tests_dir` is tests/.
inline SmtpSink StartSmtpSink(const std::string& tests_dir,
                              const std::string& dir,
                              const std::string& mail_dir,
                              const std::string& rules_file,
                              absl::Duration watchdog) {
  SmtpSink sink;
  sink.child = std::make_unique<ChildProcess>(
      "/usr/bin/python3",
      std::vector<std::string>{tests_dir + "/smtp_sink.py", "--host=127.0.0.1",
                               "--port=0", "--port_file=" + dir + "/smtp_port",
                               "--maildir=" + mail_dir,
                               "--rules=" + rules_file},
      std::map<std::string, std::string>{}, dir + "/smtp.log");
  sink.port = WaitForPortFile(dir + "/smtp_port", watchdog).value_or(0);
  return sink;
}

}  // namespace training::testing

#endif  // TRAINING_TESTS_SMTP_SINK_PROCESS_H_

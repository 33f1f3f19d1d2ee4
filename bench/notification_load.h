#ifndef TRAINING_BENCH_NOTIFICATION_LOAD_H_
#define TRAINING_BENCH_NOTIFICATION_LOAD_H_

// What the notification benchmark drives and reads: a real SMTP server
// (tests/smtp_sink.py, aiosmtpd) whose index of accepted messages is read
// as it grows; the matching of bookings to the messages that answer them
// (lag from the booking's commit to the server's acceptance); a plain
// libcurl client that feeds the same server as fast as it takes messages;
// and sessions with a free place for every booking.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bench/bench_support.h"
#include "bench/suite_under_test.h"
#include "common/testing/process.h"

namespace training::bench {

// One message the sink accepted, as its index.jsonl line records it.
struct AcceptedMail {
  std::string recipient;  // the first of rcpt_tos
  std::string file;       // the stored message, relative to the maildir
  std::string subject;
  absl::Time accepted;  // the line's accept_time
};

// tests/smtp_sink.py as a child process, storing into <dir>/mail, without
// --rules (every message accepted).
class MailSink {
 public:
  // `script` is smtp_sink.py, run with /usr/bin/python3.
  absl::Status Start(const std::string& script, const std::string& dir);

  // The index lines appended since the last call (whole lines only); an
  // error when a line has no accept_time (an older smtp_sink.py).
  absl::StatusOr<std::vector<AcceptedMail>> ReadNew();

  // The bytes of a stored message.
  absl::StatusOr<std::string> Read(const AcceptedMail& mail) const;

  int port() const { return port_; }
  std::string Log() const { return process_ ? process_->Log() : ""; }

 private:
  std::unique_ptr<testing::ChildProcess> process_;
  int port_ = 0;
  std::string maildir_;
  int64_t offset_ = 0;   // of index.jsonl, read so far
  std::string partial_;  // a line not yet ended
};

// The bookings of one run and the messages that answer them, matched by
// the attendee's address (unique to the booking, in a domain of the run's
// own). Thread-safe: bookings are answered on gRPC's threads.
class LagTally {
 public:
  explicit LagTally(std::string domain) : domain_(std::move(domain)) {}

  // A booking call is made; returns its number in the run (0, 1, …).
  int64_t Issued();
  // Its answer: committed (OK and CONFIRMED) at `at`, or failed.
  void Committed(const std::string& address, absl::Time at);
  void Failed(const std::string& error);
  void Retried();
  // A message the sink accepted; others' (another run's, the raw client's)
  // are ignored.
  void Accepted(const AcceptedMail& mail);

  // Calls made whose message has not arrived and that did not fail.
  int64_t Outstanding();
  int64_t issued();
  // Every call answered and every committed booking's message in.
  bool Settled();

  struct Lag {
    absl::Time accepted;
    double ms;  // accepted - committed
  };
  struct Totals {
    std::vector<Lag> lags;  // one per booking whose message arrived
    int64_t issued = 0, committed = 0, failed = 0, retries = 0;
    int64_t missing = 0;     // committed, no message (yet)
    int64_t duplicates = 0;  // a second message to one address
    int64_t unmatched = 0;   // a message to an address never committed
    std::string first_error;
    AcceptedMail first_mail;  // the first matched, for its bytes
  };
  Totals totals();

 private:
  const std::string domain_;
  absl::Mutex mu_;
  Totals totals_ ABSL_GUARDED_BY(mu_);
  int64_t answered_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, absl::Time> waiting_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> early_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> mailed_ ABSL_GUARDED_BY(mu_);
};

struct RawSmtpOptions {
  int port = 0;
  int connections = 2;  // threads, each with one connection at a time
  absl::Duration length;
  std::string from;     // the envelope sender
  std::string message;  // sent as is, every time
  std::string domain;   // recipients are r<thread>.<n>@<domain>
};

struct RawSmtpResult {
  double per_second = 0;  // accepted (2xx) during `length`
  int64_t sent = 0, failed = 0;
  std::string first_error;
};

// Sends `message` from `connections` threads for `length`, each message
// over a connection of its own: a new libcurl easy handle per message
// (connect, EHLO, MAIL, RCPT, DATA, QUIT), exactly as
// services/notification/smtp_relay.cc's SmtpRelay::Send does.
RawSmtpResult RawSmtpRate(const RawSmtpOptions& options);

// Sessions of the suite's course, each of `places` (the suite's
// SuiteOptions::places), handed out one place at a time, so that every
// booking confirms. Not thread-safe.
class SessionPool {
 public:
  SessionPool(SuiteUnderTest* suite, int places)
      : suite_(suite), places_(places) {}

  // Makes sessions now for `places` more bookings, outside measured time.
  absl::Status Reserve(int64_t places);

  // The next booking's session (made now if none is left; "" on failure).
  std::string Next();

 private:
  SuiteUnderTest* suite_;
  const int places_;
  std::deque<std::string> sessions_;
  int64_t used_ = 0;  // places taken in the front session
};

// Prints the median CPU per message, in µs, of each process that used any.
void PrintCpu(const char* what,
              const std::vector<std::pair<CpuByProcess, int64_t>>& samples);

}  // namespace training::bench

#endif  // TRAINING_BENCH_NOTIFICATION_LOAD_H_

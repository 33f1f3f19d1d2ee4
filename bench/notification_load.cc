#include "bench/notification_load.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/notification/mail_relay.h"

namespace training::bench {
namespace {

absl::StatusOr<AcceptedMail> ParseIndexLine(const std::string& line) {
  nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
  if (entry.is_discarded() || !entry.is_object()) {
    return absl::DataLossError(absl::StrCat("unreadable index line: ", line));
  }
  const double accept_time = entry.value("accept_time", -1.0);
  if (accept_time < 0) {
    return absl::FailedPreconditionError(
        "the sink's index lines have no accept_time: tests/smtp_sink.py is "
        "older than this benchmark");
  }
  AcceptedMail mail;
  const auto rcpt_tos = entry.value("rcpt_tos", std::vector<std::string>{});
  if (!rcpt_tos.empty()) mail.recipient = rcpt_tos[0];
  mail.file = entry.value("file", "");
  mail.subject = entry.value("subject", "");
  mail.accepted = absl::UnixEpoch() + absl::Seconds(accept_time);
  return mail;
}

}  // namespace

// --- MailSink ------------------------------------------------------------

absl::Status MailSink::Start(const std::string& script,
                             const std::string& dir) {
  maildir_ = dir + "/mail";
  const std::string port_file = dir + "/smtp_port";
  process_ = std::make_unique<testing::ChildProcess>(
      "/usr/bin/python3",
      std::vector<std::string>{script, "--host=127.0.0.1", "--port=0",
                               "--port_file=" + port_file,
                               "--maildir=" + maildir_},
      std::map<std::string, std::string>{}, dir + "/smtp.log");
  port_ = testing::WaitForPortFile(port_file, absl::Seconds(60)).value_or(0);
  if (port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("the SMTP sink did not start:\n", process_->Log()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AcceptedMail>> MailSink::ReadNew() {
  std::vector<AcceptedMail> out;
  std::ifstream in(maildir_ + "/index.jsonl", std::ios::binary);
  if (!in) return out;  // nothing accepted yet
  in.seekg(static_cast<std::streamoff>(offset_), std::ios::beg);
  const std::string chunk{std::istreambuf_iterator<char>(in),
                          std::istreambuf_iterator<char>()};
  offset_ += static_cast<int64_t>(chunk.size());
  partial_ += chunk;
  size_t start = 0;
  for (size_t end = partial_.find('\n'); end != std::string::npos;
       start = end + 1, end = partial_.find('\n', start)) {
    if (end == start) continue;
    ASSIGN_OR_RETURN(AcceptedMail mail,
                     ParseIndexLine(partial_.substr(start, end - start)));
    out.push_back(std::move(mail));
  }
  partial_.erase(0, start);
  return out;
}

absl::StatusOr<std::string> MailSink::Read(const AcceptedMail& mail) const {
  std::ifstream in(maildir_ + "/" + mail.file, std::ios::binary);
  if (!in) return absl::NotFoundError("no stored message " + mail.file);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// --- LagTally ------------------------------------------------------------

int64_t LagTally::Issued() {
  absl::MutexLock lock(&mu_);
  return totals_.issued++;
}

void LagTally::Committed(const std::string& address, absl::Time at) {
  absl::MutexLock lock(&mu_);
  ++answered_;
  ++totals_.committed;
  auto early = early_.find(address);
  if (early == early_.end()) {
    waiting_[address] = at;
    return;
  }
  // The message came in before the client saw the answer.
  totals_.lags.push_back(
      {early->second, absl::ToDoubleMilliseconds(early->second - at)});
  mailed_.insert(address);
  early_.erase(early);
}

void LagTally::Failed(const std::string& error) {
  absl::MutexLock lock(&mu_);
  ++answered_;
  if (totals_.failed++ == 0) totals_.first_error = error;
}

void LagTally::Retried() {
  absl::MutexLock lock(&mu_);
  ++totals_.retries;
}

void LagTally::Accepted(const AcceptedMail& mail) {
  if (!absl::EndsWith(mail.recipient, "@" + domain_)) return;
  absl::MutexLock lock(&mu_);
  auto waiting = waiting_.find(mail.recipient);
  if (waiting != waiting_.end()) {
    totals_.lags.push_back(
        {mail.accepted,
         absl::ToDoubleMilliseconds(mail.accepted - waiting->second)});
    if (totals_.first_mail.file.empty()) totals_.first_mail = mail;
    mailed_.insert(mail.recipient);
    waiting_.erase(waiting);
  } else if (mailed_.count(mail.recipient) > 0 ||
             early_.count(mail.recipient) > 0) {
    ++totals_.duplicates;
  } else {
    early_[mail.recipient] = mail.accepted;
  }
}

int64_t LagTally::Outstanding() {
  absl::MutexLock lock(&mu_);
  return totals_.issued - totals_.failed -
         static_cast<int64_t>(totals_.lags.size());
}

int64_t LagTally::issued() {
  absl::MutexLock lock(&mu_);
  return totals_.issued;
}

bool LagTally::Settled() {
  absl::MutexLock lock(&mu_);
  return answered_ == totals_.issued && waiting_.empty();
}

LagTally::Totals LagTally::totals() {
  absl::MutexLock lock(&mu_);
  Totals out = totals_;
  out.missing = static_cast<int64_t>(waiting_.size());
  out.unmatched = static_cast<int64_t>(early_.size());
  return out;
}

// --- the raw rate --------------------------------------------------------

RawSmtpResult RawSmtpRate(const RawSmtpOptions& options) {
  // The service's own client, with nothing of the service around it: one
  // message per connection (connect, EHLO, MAIL, RCPT, DATA, QUIT).
  notification::SmtpRelay relay(
      notification::SmtpOptions{.host = "127.0.0.1", .port = options.port});
  std::atomic<int64_t> sent{0}, failed{0};
  std::atomic<bool> stop{false};
  absl::Mutex mu;
  std::string first_error;
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int c = 0; c < options.connections; ++c) {
    threads.emplace_back([&, c] {
      for (int64_t n = 0; !stop.load(); ++n) {
        const notification::RelayReply reply = relay.Send(
            options.from, absl::StrCat("r", c, ".", n, "@", options.domain),
            options.message);
        if (!reply.transport_failed && reply.code / 100 == 2) {
          sent.fetch_add(1);
          continue;
        }
        absl::MutexLock lock(&mu);
        if (failed.fetch_add(1) == 0) first_error = reply.error;
      }
    });
  }
  absl::SleepFor(options.length);
  const int64_t sent_in_time = sent.load();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  stop = true;
  for (std::thread& t : threads) t.join();
  RawSmtpResult result;
  result.per_second = sent_in_time / elapsed;
  result.sent = sent.load();
  result.failed = failed.load();
  absl::MutexLock lock(&mu);
  result.first_error = first_error;
  return result;
}

// --- SessionPool ---------------------------------------------------------

absl::Status SessionPool::Reserve(int64_t places) {
  while (static_cast<int64_t>(sessions_.size()) * places_ - used_ < places) {
    std::vector<std::string> made = suite_->NewSessions(1);
    if (made.empty()) return absl::UnavailableError("no session was made");
    sessions_.push_back(made[0]);
  }
  return absl::OkStatus();
}

std::string SessionPool::Next() {
  if (used_ == places_) {
    sessions_.pop_front();
    used_ = 0;
  }
  if (!Reserve(1).ok()) return "";
  ++used_;
  return sessions_.front();
}

// Median CPU per message, in µs, of each process that used any.
void PrintCpu(const char* what,
              const std::vector<std::pair<CpuByProcess, int64_t>>& samples) {
  std::map<std::string, std::vector<double>> per_message;
  for (const auto& [cpu, messages] : samples) {
    if (messages == 0) continue;
    for (const auto& [name, time] : cpu) {
      per_message[name].push_back(absl::ToDoubleMicroseconds(time) / messages);
    }
  }
  std::string line;
  double total = 0;
  for (auto& [name, values] : per_message) {
    const double median = Summarise(values).median;
    if (median < 1) continue;  // kernel threads and strays
    total += median;
    absl::StrAppendFormat(&line, " %s %.0f;", name, median);
  }
  std::printf("  CPU per message, %s: %.0f µs:%s\n", what, total, line.c_str());
}

}  // namespace training::bench

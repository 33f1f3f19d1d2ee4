// notification_bench: how fast a booking's confirmation reaches the
// mailbox, and how many a second the notification service hands to a
// relay, against what the same relay takes from a plain client:
//
//   notification_bench [--engine=sqlite|postgres] [--senders=2]
//                      [--seconds=10] [--repetitions=5] [--backlog=200]
//                      [--reminders=true]
//
// Real catalogue, booking and notification processes, Redis, and an SMTP
// server (tests/smtp_sink.py, Debian's aiosmtpd, no --rules). Every
// booking is a new person on a session a month ahead with free places: one
// BOOKING_CONFIRMED message with its invite, no line manager. Notification
// runs with --senders and --max_send_rate=0; its reminders are merely
// scheduled (14 and 2 days ahead), or off with --reminders=false.
//
// Per repetition, interleaved, each for --seconds:
//   1. service, saturated: --backlog bookings always wait for their
//      message; after 2 s to fill the pipeline, messages/s and their lag;
//   2. raw: the service's SmtpRelay feeds the sink over --senders connections,
//   one message
//      per connection as services/notification/smtp_relay.cc sends, the
//      bytes of a confirmation the service sent;
//   3. paced: bookings offered open loop at half this repetition's raw
//      rate; lag p50/p99 over all of them.
// Lag: from the wall-clock time CreateBooking answered OK to the sink's
// accept_time (index.jsonl) for the message to that booking's attendee.
// Each run ends when every committed booking's message is in (watchdog),
// so that none spills into the next. Timings are printed, never asserted;
// the exit status is 1 only when a booking failed or a message went
// missing.

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "bench/notification_load.h"
#include "bench/peak_memory.h"
#include "bench/suite_under_test.h"
#include "common/config/flags.h"
#include "common/sql/testing/test_databases.h"
#include "common/status_macros.h"
#include "training/booking/v1/booking_service.grpc.pb.h"

ABSL_FLAG(std::string, engine, "sqlite",
          "sqlite or postgres, for booking and notification.");
ABSL_FLAG(int, senders, 2,
          "The notification service's --senders, and the raw client's "
          "connections.");
ABSL_FLAG(double, seconds, 10, "Length of each measured run.");
ABSL_FLAG(int, repetitions, 5, "Interleaved repetitions of every run.");
ABSL_FLAG(int, backlog, 200,
          "Saturated run: bookings kept waiting for their message.");
ABSL_FLAG(bool, reminders, true,
          "Leave the service's reminders on (scheduled only); false passes "
          "--reminder_offsets= (none).");

namespace training::bench {
namespace {

namespace booking = training::booking::v1;

constexpr int kPlaces = 10000;  // the largest session the catalogue allows
constexpr absl::Duration kRamp = absl::Seconds(2);
constexpr absl::Duration kTick = absl::Milliseconds(5);
constexpr absl::Duration kSettleWatchdog = absl::Seconds(180);
constexpr int kMaxAttempts = 20;
constexpr char kMailFrom[] = "training@partnership.example";

// One run of bookings and their messages.
struct RunFigures {
  double offered = 0;     // bookings made per second (paced)
  double per_second = 0;  // messages accepted per second in the window
  double p50_ms = 0, p99_ms = 0;
  int64_t messages = 0;  // accepted in the window
  CpuByProcess cpu;      // over the window (saturated)
  LagTally::Totals totals;
};

struct RawFigures {
  RawSmtpResult raw;
  CpuByProcess cpu;
};

// The rate of messages accepted in [from, to], and the lag quantiles of
// those (or of all the run's messages with `lag_of_all`).
RunFigures Figures(LagTally::Totals totals, absl::Time from, absl::Time to,
                   bool lag_of_all) {
  RunFigures f;
  std::vector<double> lags;
  for (const LagTally::Lag& lag : totals.lags) {
    const bool in_window = lag.accepted >= from && lag.accepted <= to;
    f.messages += in_window ? 1 : 0;
    if (in_window || lag_of_all) lags.push_back(lag.ms);
  }
  f.per_second = f.messages / absl::ToDoubleSeconds(to - from);
  f.p50_ms = Quantile(lags, 0.5);
  f.p99_ms = Quantile(lags, 0.99);
  f.totals = std::move(totals);
  return f;
}

class NotificationBench {
 public:
  absl::Status Start() {
    if (!suite_.Start(
            {.engine = absl::GetFlag(FLAGS_engine), .places = kPlaces})) {
      return absl::UnavailableError("the suite did not start (see above)");
    }
    RETURN_IF_ERROR(sink_.Start(SMTP_SINK, suite_.dir()));
    RETURN_IF_ERROR(StartNotification());
    return Warm();
  }

  absl::StatusOr<RunFigures> Saturated(absl::Duration length) {
    const int64_t backlog = absl::GetFlag(FLAGS_backlog);
    RETURN_IF_ERROR(sessions_.Reserve(static_cast<int64_t>(
        1.5 * expected_rate_ * absl::ToDoubleSeconds(kRamp + length) +
        backlog)));
    auto tally = NewTally();
    auto due = [&](absl::Duration) { return backlog - tally->Outstanding(); };
    RETURN_IF_ERROR(Issue(tally, kRamp, due));
    const absl::Time from = absl::Now();
    const CpuSample cpu = CpuNow();
    RETURN_IF_ERROR(Issue(tally, length, due));
    const absl::Time to = absl::Now();
    const CpuByProcess used = CpuUsed(cpu, CpuNow());
    RETURN_IF_ERROR(Settle(*tally));
    RunFigures f = Figures(tally->totals(), from, to, false);
    f.cpu = used;
    expected_rate_ = std::max(100.0, f.per_second);
    return f;
  }

  absl::StatusOr<RunFigures> Paced(double rate, absl::Duration length) {
    RETURN_IF_ERROR(sessions_.Reserve(
        static_cast<int64_t>(rate * absl::ToDoubleSeconds(length)) + 1));
    auto tally = NewTally();
    const absl::Time from = absl::Now();
    RETURN_IF_ERROR(Issue(tally, length, [&](absl::Duration t) {
      return static_cast<int64_t>(rate * absl::ToDoubleSeconds(t)) -
             tally->issued();
    }));
    const absl::Time to = absl::Now();
    RETURN_IF_ERROR(Settle(*tally));
    RunFigures f = Figures(tally->totals(), from, to, true);
    f.offered = f.totals.issued / absl::ToDoubleSeconds(to - from);
    return f;
  }

  absl::StatusOr<RawFigures> Raw(absl::Duration length) {
    ++run_;
    RawFigures f;
    const CpuSample cpu = CpuNow();
    f.raw = RawSmtpRate({.port = sink_.port(),
                         .connections = absl::GetFlag(FLAGS_senders),
                         .length = length,
                         .from = kMailFrom,
                         .message = message_,
                         .domain = Domain()});
    f.cpu = CpuUsed(cpu, CpuNow());
    // Past the raw messages in the index now, outside measured time.
    RETURN_IF_ERROR(sink_.ReadNew().status());
    if (f.raw.sent == 0) {
      return absl::UnavailableError(
          absl::StrCat("the raw client sent nothing: ", f.raw.first_error));
    }
    return f;
  }

  const std::string& message() const { return message_; }
  const std::string& subject() const { return subject_; }

 private:
  struct BookingCall {
    booking::CreateBookingRequest request;
    booking::Booking reply;
    std::unique_ptr<grpc::ClientContext> context;
    std::string address;
    size_t stub = 0;
    int attempts = 0;
  };

  absl::Status StartNotification() {
    std::vector<std::string> flags = {
        absl::StrCat("--booking_address=127.0.0.1:",
                     suite_.booking_servers()[0].port),
        absl::StrCat("--catalogue_address=127.0.0.1:",
                     suite_.catalogue_server().port),
        absl::StrCat("--smtp_port=", sink_.port()),
        "--max_send_rate=0",
        absl::StrCat("--senders=", absl::GetFlag(FLAGS_senders)),
        absl::StrCat("--mail_from=", kMailFrom),
        "--mail_domain=partnership.example",
        "--public_base_url=https://book.example.org",
        absl::StrCat("--address_hash_secrets=",
                     SuiteUnderTest::kAddressHashSecrets),
        "--webhook_secret_keys=w1:"
        "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8"};
    if (!absl::GetFlag(FLAGS_reminders)) flags.push_back("--reminder_offsets=");
    if (absl::GetFlag(FLAGS_engine) == "postgres") {
      ASSIGN_OR_RETURN(std::string url, sql::testing::NewTestDatabaseUrl(
                                            sql::Engine::kPostgres));
      flags.push_back("--database_url=" + url);
    }
    notification_ = suite_.StartServer(
        NOTIFICATION_BINARY, "notification", flags,
        {{"TRAINING_SERVICE_KEY", SuiteUnderTest::kNotificationKey}});
    if (notification_.port == 0) {
      return absl::UnavailableError("the notification service did not start");
    }
    return absl::OkStatus();
  }

  // Twenty bookings at 20 a second, every message awaited: connections and
  // caches are warm, and a stored confirmation gives the raw client its
  // bytes.
  absl::Status Warm() {
    ASSIGN_OR_RETURN(RunFigures warm, Paced(20, absl::Seconds(1)));
    const LagTally::Totals& t = warm.totals;
    if (t.lags.empty() || t.missing > 0 || t.failed > 0) {
      return absl::UnavailableError(
          absl::StrCat("warming: ", t.lags.size(), " messages, ", t.missing,
                       " missing, ", t.failed, " bookings failed (",
                       t.first_error, "); the notification service's log:\n",
                       notification_.process->Log()));
    }
    ASSIGN_OR_RETURN(message_, sink_.Read(t.first_mail));
    subject_ = t.first_mail.subject;
    return absl::OkStatus();
  }

  std::shared_ptr<LagTally> NewTally() {
    ++run_;
    return std::make_shared<LagTally>(Domain());
  }
  std::string Domain() const {
    return absl::StrCat("run", run_, ".bench.example");
  }

  // For `length`, every tick: reads the sink's new messages into `tally`
  // and makes the bookings `due(time since the start)` asks for.
  absl::Status Issue(const std::shared_ptr<LagTally>& tally,
                     absl::Duration length,
                     const std::function<int64_t(absl::Duration)>& due) {
    const absl::Time start = absl::Now();
    for (absl::Duration t; (t = absl::Now() - start) < length;) {
      RETURN_IF_ERROR(Collect(*tally));
      for (int64_t k = due(t); k > 0; --k) Book(tally);
      absl::SleepFor(kTick);
    }
    return absl::OkStatus();
  }

  // Until every call has its answer and every committed booking its
  // message (watchdog: what is still missing then is reported).
  absl::Status Settle(LagTally& tally) {
    const absl::Time give_up = absl::Now() + kSettleWatchdog;
    while (!tally.Settled() && absl::Now() < give_up) {
      RETURN_IF_ERROR(Collect(tally));
      absl::SleepFor(kTick);
    }
    return Collect(tally);
  }

  absl::Status Collect(LagTally& tally) {
    ASSIGN_OR_RETURN(std::vector<AcceptedMail> mail, sink_.ReadNew());
    for (const AcceptedMail& m : mail) tally.Accepted(m);
    return absl::OkStatus();
  }

  // A new person books the next session with free places.
  void Book(const std::shared_ptr<LagTally>& tally) {
    const int64_t n = tally->Issued();
    auto call = std::make_shared<BookingCall>();
    call->address = absl::StrCat("p", n, "@", Domain());
    call->request.set_request_id(
        absl::StrFormat("%08x-0000-4000-8000-%012x", run_, n));
    call->request.mutable_booking()->set_session(sessions_.Next());
    auto* a = call->request.mutable_booking()->mutable_attendee();
    a->set_display_name(absl::StrCat("Person ", n));
    a->set_email(call->address);
    a->set_organisation("Northshire NHS Trust");
    a->set_agency_type(training::type::v1::HEALTH);
    a->set_job_role("Health visitor");
    a->set_consent_given(true);
    call->stub = static_cast<size_t>(n) % suite_.booking_stubs().size();
    Send(tally, std::move(call));
  }

  // Issues the call; a transient refusal is retried at once with the same
  // request id, on the next connection.
  void Send(std::shared_ptr<LagTally> tally,
            std::shared_ptr<BookingCall> call) {
    BookingCall* c = call.get();
    c->context = Context();
    c->reply.Clear();
    suite_.booking_stubs()[c->stub]->async()->CreateBooking(
        c->context.get(), &c->request, &c->reply,
        [this, tally, call](grpc::Status status) {
          if (Retryable(status) && ++call->attempts < kMaxAttempts) {
            tally->Retried();
            call->stub = (call->stub + 1) % suite_.booking_stubs().size();
            Send(tally, call);
          } else if (status.ok() &&
                     call->reply.state() == booking::Booking::CONFIRMED) {
            tally->Committed(call->address, absl::Now());
          } else {
            tally->Failed(status.ok() ? "a booking did not confirm"
                                      : status.error_message());
          }
        });
  }

  SuiteUnderTest suite_;
  MailSink sink_;
  SuiteUnderTest::Server notification_;
  SessionPool sessions_{&suite_, kPlaces};
  std::string message_, subject_;
  double expected_rate_ = 1000;  // for making sessions ahead
  int run_ = 0;                  // every run's addresses are its own
};

// --- what is printed -----------------------------------------------------

struct Results {
  std::map<std::string, std::vector<double>> samples;
  // CPU over a window and the messages it made, per repetition.
  std::map<std::string, std::vector<std::pair<CpuByProcess, int64_t>>> cpu;
  int64_t failed = 0, missing = 0, duplicates = 0, unmatched = 0;
  int64_t raw_failed = 0, retries = 0;
  std::string first_error;

  void Add(const RunFigures& f) {
    failed += f.totals.failed;
    missing += f.totals.missing;
    duplicates += f.totals.duplicates;
    unmatched += f.totals.unmatched;
    retries += f.totals.retries;
    if (first_error.empty()) first_error = f.totals.first_error;
  }
};

void Print(const char* what, const std::vector<double>& samples,
           const char* unit) {
  const Stats s = Summarise(samples);
  std::printf("  %-44s %9.1f %-6s [%.1f, %.1f]\n", what, s.median, unit, s.low,
              s.high);
}

void PrintRepetition(int rep, const RunFigures& service, const RawFigures& raw,
                     const RunFigures& paced) {
  std::printf(
      "repetition %d: service %.1f msg/s (lag p50 %.0f ms, p99 %.0f ms); "
      "raw %.1f msg/s; service/raw %.2f; paced at %.1f bookings/s: %.1f "
      "msg/s, lag p50 %.0f ms, p99 %.0f ms\n",
      rep + 1, service.per_second, service.p50_ms, service.p99_ms,
      raw.raw.per_second, service.per_second / raw.raw.per_second,
      paced.offered, paced.per_second, paced.p50_ms, paced.p99_ms);
  std::fflush(stdout);
}

void PrintHeader(const NotificationBench& bench) {
  const int senders = absl::GetFlag(FLAGS_senders);
  std::printf(
      "notification_bench: engine=%s, notification --senders=%d "
      "--max_send_rate=0, reminders %s; %d repetitions of %.0f s, "
      "interleaved (service saturated with a backlog of %d, raw, paced)\n",
      absl::GetFlag(FLAGS_engine).c_str(), senders,
      absl::GetFlag(FLAGS_reminders) ? "on (scheduled only)" : "off",
      absl::GetFlag(FLAGS_repetitions), absl::GetFlag(FLAGS_seconds),
      absl::GetFlag(FLAGS_backlog));
  std::printf(
      "  message: %zu bytes, \"%s\" (one per booking); the raw client "
      "sends these bytes\n  raw client: the service's own SmtpRelay (libcurl) "
      "on %d threads, one message per connection (connect, EHLO, MAIL, "
      "RCPT, DATA, QUIT)\n",
      bench.message().size(), bench.subject().c_str(), senders);
  std::fflush(stdout);
}

void PrintSummary(const Results& r) {
  auto& s = r.samples;
  std::printf("median [min, max] over the repetitions:\n");
  Print("service, saturated: messages/s", s.at("service"), "/s");
  Print("  lag p50 (behind the backlog)", s.at("service_p50"), "ms");
  Print("  lag p99 (behind the backlog)", s.at("service_p99"), "ms");
  Print("raw SMTP client: messages/s", s.at("raw"), "/s");
  Print("paced at half the raw rate: bookings/s", s.at("paced_offered"), "/s");
  Print("  messages/s", s.at("paced"), "/s");
  Print("  lag p50", s.at("paced_p50"), "ms");
  Print("  lag p99", s.at("paced_p99"), "ms");
  const Stats ratio = Summarise(s.at("ratio"));
  std::printf("  %-44s %9.2f        [%.2f, %.2f]\n",
              "service / raw, per repetition", ratio.median, ratio.low,
              ratio.high);
  PrintCpu("service (saturated)", r.cpu.at("service"));
  PrintCpu("raw client", r.cpu.at("raw"));
  std::printf(
      "  service / raw (medians): %.2f (goal >= 0.50)\n",
      Summarise(s.at("service")).median / Summarise(s.at("raw")).median);
  std::printf(
      "  paced lag p99: %.0f ms (goal < 2000 ms at half the raw "
      "rate)\n",
      Summarise(s.at("paced_p99")).median);
  std::printf(
      "  bookings failed: %lld; messages missing: %lld; duplicates: %lld; "
      "to no committed booking: %lld; raw sends refused: %lld; booking "
      "retries: %lld%s%s\n",
      static_cast<long long>(r.failed), static_cast<long long>(r.missing),
      static_cast<long long>(r.duplicates), static_cast<long long>(r.unmatched),
      static_cast<long long>(r.raw_failed), static_cast<long long>(r.retries),
      r.first_error.empty() ? "" : "; first error: ", r.first_error.c_str());
}

// One repetition: service saturated, raw, then paced at half the raw rate.
absl::Status Repeat(NotificationBench& bench, int rep, Results& r) {
  const absl::Duration length = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  std::fprintf(stderr, "phase service %d\n", rep + 1);
  ASSIGN_OR_RETURN(RunFigures service, bench.Saturated(length));
  std::fprintf(stderr, "phase raw %d\n", rep + 1);
  ASSIGN_OR_RETURN(RawFigures raw, bench.Raw(length));
  std::fprintf(stderr, "phase paced %d\n", rep + 1);
  ASSIGN_OR_RETURN(RunFigures paced,
                   bench.Paced(raw.raw.per_second / 2, length));
  PrintRepetition(rep, service, raw, paced);
  auto& s = r.samples;
  s["service"].push_back(service.per_second);
  s["service_p50"].push_back(service.p50_ms);
  s["service_p99"].push_back(service.p99_ms);
  s["raw"].push_back(raw.raw.per_second);
  s["ratio"].push_back(service.per_second / raw.raw.per_second);
  s["paced_offered"].push_back(paced.offered);
  s["paced"].push_back(paced.per_second);
  s["paced_p50"].push_back(paced.p50_ms);
  s["paced_p99"].push_back(paced.p99_ms);
  r.cpu["service"].push_back({service.cpu, service.messages});
  r.cpu["raw"].push_back({raw.cpu, raw.raw.sent});
  r.Add(service);
  r.Add(paced);
  r.raw_failed += raw.raw.failed;
  return absl::OkStatus();
}

int Run() {
  NotificationBench bench;
  if (absl::Status s = bench.Start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  PrintHeader(bench);
  Results results;
  for (int rep = 0; rep < absl::GetFlag(FLAGS_repetitions); ++rep) {
    if (absl::Status s = Repeat(bench, rep, results); !s.ok()) {
      std::fprintf(stderr, "repetition %d: %s\n", rep + 1,
                   s.ToString().c_str());
      return 1;
    }
  }
  PrintSummary(results);
  return results.failed == 0 && results.missing == 0 ? 0 : 1;
}

}  // namespace
}  // namespace training::bench

int main(int argc, char** argv) {
  training::config::ParseFlagsOrExit(
      argc, argv,
      "notification_bench: booking confirmations from commit to the relay, "
      "against the relay's raw rate.");
  const std::string engine = absl::GetFlag(FLAGS_engine);
  if ((engine != "sqlite" && engine != "postgres") ||
      absl::GetFlag(FLAGS_senders) < 1 || absl::GetFlag(FLAGS_backlog) < 1 ||
      absl::GetFlag(FLAGS_repetitions) < 1 ||
      absl::GetFlag(FLAGS_seconds) <= 0) {
    std::fprintf(stderr,
                 "--engine must be sqlite or postgres; --senders, --backlog "
                 "and --repetitions at least 1; --seconds above 0\n");
    return 2;
  }
  training::bench::PeakMemoryWatch memory;
  return training::bench::Run();
}

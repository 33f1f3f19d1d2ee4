// webhook_bench: how many webhook deliveries a second the notification
// service makes to a local receiver, and how long after the booking's
// commit each arrives, beside the rate of the same HTTP requests from a
// plain client in the same run:
//
//   webhook_bench [--engine=sqlite|postgres] [--senders=4]
//                 [--backlog=2000] [--paced_rate=100] [--seconds=5]
//                 [--repetitions=3]
//
// Real catalogue, booking and notification processes and Redis; the
// receiver (bench/webhook_receiver.h) runs in this process on 127.0.0.2,
// the one address notification is told to allow, answering 200 at once.
// One admin subscription to BookingConfirmed. Per repetition:
//   1. backlog: the subscription is paused, --backlog bookings are made
//      and fanned out, then it is resumed: deliveries/s from the resume
//      to the last one in (the senders' rate, nothing else running);
//   2. raw: --senders threads of libcurl with keep-alive POST the same
//      body and headers to the receiver, --backlog requests: requests/s;
//   3. paced: bookings at --paced_rate a second for --seconds, the
//      subscription active: lag from the event's time (the booking's
//      commit, `occurTime`) to the receiver, p50 and p99.
// Timings are printed, never asserted; the exit status is 1 only when a
// booking failed or a delivery went missing.

#include <curl/curl.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "bench/peak_memory.h"
#include "bench/suite_under_test.h"
#include "bench/webhook_receiver.h"
#include "common/config/flags.h"
#include "common/sql/testing/test_databases.h"
#include "common/status_macros.h"
#include "training/notification/v1/webhook_service.grpc.pb.h"

ABSL_FLAG(std::string, engine, "sqlite",
          "sqlite or postgres, for booking and notification.");
ABSL_FLAG(int, senders, 4,
          "The service's --webhook_senders, and the raw client's threads.");
ABSL_FLAG(int, backlog, 2000, "Deliveries per backlog run and raw run.");
ABSL_FLAG(double, paced_rate, 100, "Bookings a second in the paced run.");
ABSL_FLAG(double, seconds, 5, "Length of the paced run.");
ABSL_FLAG(int, repetitions, 3, "Interleaved repetitions of every run.");

namespace training::bench {
namespace {

namespace booking = training::booking::v1;
namespace notification = training::notification::v1;

constexpr int kPlaces = 10000;
constexpr int kBookingThreads = 8;
constexpr absl::Duration kWatchdog = absl::Seconds(300);
constexpr char kWebhookKeys[] =
    "w1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";

struct Repetition {
  double backlog_rate = 0, raw_rate = 0;
  double paced_offered = 0, p50_ms = 0, p99_ms = 0;
  int64_t missing = 0, failed = 0;
};

class WebhookBench {
 public:
  absl::Status Start() {
    if (!suite_.Start(
            {.engine = absl::GetFlag(FLAGS_engine), .places = kPlaces})) {
      return absl::UnavailableError("the suite did not start (see above)");
    }
    RETURN_IF_ERROR(receiver_.Start("127.0.0.2"));
    std::vector<std::string> flags = {
        absl::StrCat("--booking_address=127.0.0.1:",
                     suite_.booking_servers()[0].port),
        absl::StrCat("--catalogue_address=127.0.0.1:",
                     suite_.catalogue_server().port),
        "--smtp_port=9",
        "--reminder_offsets=",
        absl::StrCat("--address_hash_secrets=",
                     SuiteUnderTest::kAddressHashSecrets),
        absl::StrCat("--webhook_secret_keys=", kWebhookKeys),
        "--webhook_allow_http=127.0.0.2",
        "--webhook_allow_addresses=127.0.0.2/32",
        absl::StrCat("--webhook_senders=", absl::GetFlag(FLAGS_senders))};
    if (absl::GetFlag(FLAGS_engine) == "postgres") {
      ASSIGN_OR_RETURN(std::string url, sql::testing::NewTestDatabaseUrl(
                                            sql::Engine::kPostgres));
      flags.push_back("--database_url=" + url + "?pool_size=16");
    }
    notification_ = suite_.StartServer(
        NOTIFICATION_BINARY, "notification", flags,
        {{"TRAINING_SERVICE_KEY", SuiteUnderTest::kNotificationKey}});
    if (notification_.port == 0) {
      return absl::UnavailableError("the notification service did not start");
    }
    stub_ = notification::WebhookService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", notification_.port),
                            grpc::InsecureChannelCredentials()));
    notification::CreateWebhookRequest create;
    create.mutable_webhook()->set_target_uri(
        absl::StrCat("http://127.0.0.2:", receiver_.port(), "/hook"));
    create.mutable_webhook()->add_event_types(
        "training.events.v1.BookingConfirmed");
    grpc::Status status = stub_->CreateWebhook(
        Context(SuiteUnderTest::kAdminKey).get(), create, &hook_);
    if (!status.ok()) {
      return absl::UnavailableError(
          absl::StrCat("CreateWebhook: ", status.error_message()));
    }
    // Warm: a few deliveries, and a body for the raw client.
    ASSIGN_OR_RETURN(Repetition warm, Paced(20, absl::Seconds(1)));
    if (warm.missing > 0 || warm.failed > 0) {
      return absl::UnavailableError("warming: deliveries went missing");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<double> Backlog(int count) {
    RETURN_IF_ERROR(SetPaused(true));
    ASSIGN_OR_RETURN(std::vector<std::string> booked, Book(count, 0));
    RETURN_IF_ERROR(WaitForFanOut(booked.size()));
    receiver_.Take();
    const absl::Time resumed = absl::Now();
    RETURN_IF_ERROR(SetPaused(false));
    std::map<std::string, absl::Time> in;
    RETURN_IF_ERROR(Collect(booked, in));
    absl::Time last = resumed;
    for (const auto& [b, at] : in) last = std::max(last, at);
    return booked.size() / absl::ToDoubleSeconds(last - resumed);
  }

  absl::StatusOr<Repetition> Paced(double rate, absl::Duration length) {
    Repetition r;
    receiver_.Take();
    const int count =
        std::max(1, static_cast<int>(rate * absl::ToDoubleSeconds(length)));
    const absl::Time start = absl::Now();
    ASSIGN_OR_RETURN(std::vector<std::string> booked, Book(count, rate));
    r.paced_offered =
        booked.size() / absl::ToDoubleSeconds(absl::Now() - start);
    std::map<std::string, absl::Time> in;
    std::vector<double> lags;
    // What did not arrive in time is counted as missing below.
    (void)Collect(booked, in, &lags);
    r.missing = static_cast<int64_t>(booked.size() - in.size());
    r.failed = count - static_cast<int64_t>(booked.size());
    r.p50_ms = Quantile(lags, 0.5);
    r.p99_ms = Quantile(lags, 0.99);
    return r;
  }

  // The same requests from libcurl, with nothing of the service around it.
  absl::StatusOr<double> Raw(int count) {
    receiver_.Take();
    std::atomic<int> next{0}, failed{0};
    const std::string url =
        absl::StrCat("http://127.0.0.2:", receiver_.port(), "/hook");
    const absl::Time start = absl::Now();
    std::vector<std::thread> threads;
    for (int t = 0; t < absl::GetFlag(FLAGS_senders); ++t) {
      threads.emplace_back([&] {
        CURL* curl = curl_easy_init();
        curl_slist* headers = nullptr;
        for (const char* h : {"Content-Type: application/json",
                              "webhook-id: msg_00000000000000000000",
                              "webhook-timestamp: 1767225600",
                              "webhook-signature: "
                              "v1,GtoZZ4kwV2CGwco9Sv4pWLAunHTmVKKl6QZyceKYJzw=",
                              "Expect:"}) {
          headers = curl_slist_append(headers, h);
        }
        while (next.fetch_add(1) < count) {
          curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
          curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
          curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body_.data());
          curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(body_.size()));
          curl_easy_setopt(curl, CURLOPT_PROXY, "");
          curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
          if (curl_easy_perform(curl) != CURLE_OK) ++failed;
        }
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
      });
    }
    for (std::thread& t : threads) t.join();
    const absl::Duration took = absl::Now() - start;
    if (failed > 0) return absl::UnavailableError("the raw client failed");
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (receiver_.count() < count && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    receiver_.Take();
    return count / absl::ToDoubleSeconds(took);
  }

  size_t body_size() const { return body_.size(); }

 private:
  absl::Status SetPaused(bool paused) {
    notification::Webhook w;
    grpc::Status status;
    if (paused) {
      notification::PauseWebhookRequest r;
      r.set_name(hook_.name());
      status =
          stub_->PauseWebhook(Context(SuiteUnderTest::kAdminKey).get(), r, &w);
    } else {
      notification::ResumeWebhookRequest r;
      r.set_name(hook_.name());
      status =
          stub_->ResumeWebhook(Context(SuiteUnderTest::kAdminKey).get(), r, &w);
    }
    return status.ok() ? absl::OkStatus()
                       : absl::UnavailableError(status.error_message());
  }

  // Until the subscription holds `count` deliveries waiting.
  absl::Status WaitForFanOut(size_t count) {
    const absl::Time deadline = absl::Now() + kWatchdog;
    while (absl::Now() < deadline) {
      size_t waiting = 0;
      notification::ListWebhookDeliveriesRequest r;
      r.set_parent(hook_.name());
      r.add_states(notification::WebhookDelivery::PENDING);
      r.set_page_size(200);
      do {
        notification::ListWebhookDeliveriesResponse page;
        grpc::Status status = stub_->ListWebhookDeliveries(
            Context(SuiteUnderTest::kAdminKey).get(), r, &page);
        if (!status.ok()) return absl::UnavailableError(status.error_message());
        waiting += page.deliveries_size();
        r.set_page_token(page.next_page_token());
      } while (!r.page_token().empty());
      if (waiting >= count) return absl::OkStatus();
      absl::SleepFor(absl::Milliseconds(200));
    }
    return absl::DeadlineExceededError("the fan-out did not finish");
  }

  // Makes `count` bookings on kBookingThreads threads, at `rate` a second
  // (0: as fast as they go); returns the names of those confirmed.
  absl::StatusOr<std::vector<std::string>> Book(int count, double rate) {
    std::vector<std::string> sessions =
        suite_.NewSessions(std::max(1, count / kPlaces + 1));
    std::atomic<int> next{0};
    absl::Mutex mu;
    std::vector<std::string> booked;
    const absl::Time start = absl::Now();
    std::vector<std::thread> threads;
    for (int t = 0; t < kBookingThreads; ++t) {
      threads.emplace_back([&] {
        for (int n; (n = next.fetch_add(1)) < count;) {
          if (rate > 0) {
            const absl::Time due = start + absl::Seconds(n / rate);
            if (due > absl::Now()) absl::SleepFor(due - absl::Now());
          }
          booking::CreateBookingRequest request;
          request.set_request_id(
              absl::StrFormat("%08x-0000-4000-8000-%012x", run_, n));
          request.mutable_booking()->set_session(
              sessions[static_cast<size_t>(n / kPlaces)]);
          auto* a = request.mutable_booking()->mutable_attendee();
          a->set_display_name(absl::StrCat("Person ", n));
          a->set_email(absl::StrCat("p", n, "@run", run_, ".bench.example"));
          a->set_organisation("Northshire NHS Trust");
          a->set_agency_type(training::type::v1::HEALTH);
          a->set_job_role("Health visitor");
          a->set_consent_given(true);
          booking::Booking reply;
          grpc::Status status;
          for (int attempt = 0; attempt < 20; ++attempt) {
            status = suite_
                         .booking_stubs()[static_cast<size_t>(n) %
                                          suite_.booking_stubs().size()]
                         ->CreateBooking(Context().get(), request, &reply);
            if (!Retryable(status)) break;
          }
          if (status.ok() && reply.state() == booking::Booking::CONFIRMED) {
            absl::MutexLock lock(&mu);
            booked.push_back(reply.name());
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    ++run_;
    return booked;
  }

  // Waits until every booking in `booked` has reached the receiver; fills
  // `in` (booking → arrival) and the lags from the event's time.
  absl::Status Collect(const std::vector<std::string>& booked,
                       std::map<std::string, absl::Time>& in,
                       std::vector<double>* lags = nullptr) {
    std::set<std::string> wanted(booked.begin(), booked.end());
    const absl::Time deadline = absl::Now() + kWatchdog;
    while (in.size() < wanted.size() && absl::Now() < deadline) {
      for (BenchReceiver::Hit& hit : receiver_.Take()) {
        if (!wanted.contains(hit.booking) || in.contains(hit.booking)) continue;
        in[hit.booking] = hit.received;
        if (lags != nullptr) {
          lags->push_back(
              absl::ToDoubleMilliseconds(hit.received - hit.occur_time));
        }
        if (body_.empty()) body_ = hit.body;  // the raw client's body
      }
      absl::SleepFor(absl::Milliseconds(2));
    }
    return in.size() == wanted.size()
               ? absl::OkStatus()
               : absl::DeadlineExceededError("deliveries went missing");
  }

  SuiteUnderTest suite_;
  SuiteUnderTest::Server notification_;
  BenchReceiver receiver_;
  std::unique_ptr<notification::WebhookService::Stub> stub_;
  notification::Webhook hook_;
  std::string body_;
  int run_ = 1;
};

void Print(const char* what, std::vector<double> samples, const char* unit,
           int decimals = 1) {
  const Stats s = Summarise(std::move(samples));
  std::printf("  %-46s %9.*f %-4s [%.*f, %.*f]\n", what, decimals, s.median,
              unit, decimals, s.low, decimals, s.high);
}

int Main() {
  PeakMemoryWatch memory;
  WebhookBench bench;
  if (absl::Status started = bench.Start(); !started.ok()) {
    std::fprintf(stderr, "webhook_bench: %s\n",
                 std::string(started.message()).c_str());
    return 1;
  }
  const int backlog = absl::GetFlag(FLAGS_backlog);
  std::printf(
      "webhook_bench: engine=%s, notification --webhook_senders=%d; %d "
      "repetitions (backlog of %d, raw %d requests on %d threads, paced at "
      "%.0f bookings/s for %.0f s); body %zu bytes\n",
      absl::GetFlag(FLAGS_engine).c_str(), absl::GetFlag(FLAGS_senders),
      absl::GetFlag(FLAGS_repetitions), backlog, backlog,
      absl::GetFlag(FLAGS_senders), absl::GetFlag(FLAGS_paced_rate),
      absl::GetFlag(FLAGS_seconds), bench.body_size());
  std::map<std::string, std::vector<double>> s;
  int64_t missing = 0, failed = 0;
  for (int rep = 0; rep < absl::GetFlag(FLAGS_repetitions); ++rep) {
    absl::StatusOr<double> service = bench.Backlog(backlog);
    absl::StatusOr<double> raw = bench.Raw(backlog);
    absl::StatusOr<Repetition> paced =
        bench.Paced(absl::GetFlag(FLAGS_paced_rate),
                    absl::Seconds(absl::GetFlag(FLAGS_seconds)));
    if (!service.ok() || !raw.ok() || !paced.ok()) {
      std::fprintf(stderr, "webhook_bench: %s %s %s\n",
                   service.status().ToString().c_str(),
                   raw.status().ToString().c_str(),
                   paced.status().ToString().c_str());
      return 1;
    }
    missing += paced->missing;
    failed += paced->failed;
    s["service"].push_back(*service);
    s["raw"].push_back(*raw);
    s["ratio"].push_back(*service / *raw);
    s["offered"].push_back(paced->paced_offered);
    s["p50"].push_back(paced->p50_ms);
    s["p99"].push_back(paced->p99_ms);
    std::printf(
        "repetition %d: service %.0f deliveries/s, raw %.0f requests/s "
        "(service/raw %.2f); paced %.0f bookings/s: lag p50 %.1f ms, p99 "
        "%.1f ms\n",
        rep + 1, *service, *raw, *service / *raw, paced->paced_offered,
        paced->p50_ms, paced->p99_ms);
    std::fflush(stdout);
  }
  std::printf("median [min, max] over the repetitions:\n");
  Print("service, from a backlog: deliveries/s", s["service"], "/s");
  Print("raw libcurl client: requests/s", s["raw"], "/s");
  Print("service / raw", s["ratio"], "", 3);
  Print("paced: bookings/s", s["offered"], "/s");
  Print("  lag, commit to the receiver: p50", s["p50"], "ms");
  Print("  lag, commit to the receiver: p99", s["p99"], "ms");
  std::printf("bookings failed: %lld, deliveries missing: %lld\n",
              static_cast<long long>(failed), static_cast<long long>(missing));
  return failed > 0 || missing > 0 ? 1 : 0;
}

}  // namespace
}  // namespace training::bench

int main(int argc, char** argv) {
  training::config::ParseFlagsOrExit(
      argc, argv,
      "webhook_bench: webhook deliveries from commit to a receiver, against "
      "a plain HTTP client's rate to the same receiver.");
  const std::string engine = absl::GetFlag(FLAGS_engine);
  if ((engine != "sqlite" && engine != "postgres") ||
      absl::GetFlag(FLAGS_senders) < 1 || absl::GetFlag(FLAGS_backlog) < 1 ||
      absl::GetFlag(FLAGS_repetitions) < 1 ||
      absl::GetFlag(FLAGS_paced_rate) <= 0 ||
      absl::GetFlag(FLAGS_seconds) <= 0) {
    std::fprintf(stderr,
                 "webhook_bench: --engine is sqlite or postgres; --senders, "
                 "--backlog, --repetitions, --paced_rate and --seconds above "
                 "0\n");
    return 2;
  }
  return training::bench::Main();
}

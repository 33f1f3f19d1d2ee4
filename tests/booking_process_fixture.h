#ifndef TRAINING_TESTS_BOOKING_PROCESS_FIXTURE_H_
#define TRAINING_TESTS_BOOKING_PROCESS_FIXTURE_H_

// The fixture of the cross-process booking tests: a real Redis and a real
// catalogue process per test, booking processes started on demand (SQLite
// in their own directory, or a PostgreSQL URL), and helpers to book many
// people at once and count the outcome from the database.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/events/outbox.h"
#include "common/redis/redis_client.h"
#include "common/redis/testing_redis_server.h"
#include "common/sql/database.h"
#include "common/sql/testing/test_databases.h"
#include "common/testing/process.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/test_keys.h"
#include "training/booking/v1/booking_service.grpc.pb.h"
#include "training/catalogue/v1/catalogue_service.grpc.pb.h"
#include "training/events/v1/events.pb.h"

namespace training::testing {

namespace booking = training::booking::v1;
namespace catalogue = training::catalogue::v1;

// Generous: the ASan build on a shared 2-core machine is slow.
inline constexpr absl::Duration kWatchdog = absl::Seconds(120);
inline const std::string kAdminKey = "trk_admin_booking_process_test_000001";
inline const std::string kBookingKey = "trk_service_booking_process_test_0001";
inline const std::string kTokenSecrets =
    "t1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
inline const std::string kAddressHashSecrets =
    "a1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4";

inline std::string Uuid(int n) {
  return absl::StrFormat("00000000-0000-4000-8000-%012d", n);
}

inline std::unique_ptr<grpc::ClientContext> Context(
    const std::string& key = "") {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + kWatchdog));
  if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
  return context;
}

struct Process {
  std::unique_ptr<ChildProcess> child;
  int port = 0;
  int metrics_port = 0;
  std::string dir;
};

class BookingProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    dir_ = MakeTempDir("booking-process");
    std::vector<std::string> keys = {
        KeyEntry("admin", kAdminKey, "ADMIN", {}),
        ServiceKeyEntry("booking", kBookingKey, "booking")};
    for (std::string& key : ExtraKeys()) keys.push_back(std::move(key));
    std::ofstream(dir_ + "/keys.json") << KeyFile(keys);
    catalogue_ = StartProcess(CATALOGUE_BINARY, "catalogue", {}, {});
    ASSERT_NE(catalogue_.port, 0);
    catalogue_stub_ = catalogue::CatalogueService::NewStub(Channel(catalogue_));
  }

  // Key file entries besides the admin's and booking's own.
  virtual std::vector<std::string> ExtraKeys() { return {}; }

  // Without `wait_for_port` it returns at once (port 0): for a process
  // meant to die at a crash point, perhaps before it serves.
  Process StartProcess(const std::string& binary, const std::string& name,
                       std::vector<std::string> extra,
                       std::map<std::string, std::string> env,
                       bool wait_for_port = true) {
    Process p;
    p.dir = absl::StrCat(dir_, "/", name);
    std::filesystem::create_directories(p.dir);
    std::vector<std::string> args = {
        "--port=0",
        "--metrics_port=0",
        "--port_file=" + p.dir + "/port",
        "--metrics_port_file=" + p.dir + "/metrics_port",
        "--shutdown_grace=0s",
        "--data_dir=" + p.dir,
        "--api_keys_file=" + dir_ + "/keys.json",
        "--redis_url=" + redis_.url(),
        "--worker_threads=16"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::filesystem::remove(p.dir + "/port");
    std::filesystem::remove(p.dir + "/metrics_port");
    p.child = std::make_unique<ChildProcess>(binary, args, env, p.dir + "/log");
    if (!wait_for_port) return p;
    auto port = WaitForPortFile(p.dir + "/port", kWatchdog);
    EXPECT_TRUE(port.has_value()) << p.child->Log();
    p.port = port.value_or(0);
    if (port.has_value()) {  // written before the gRPC port
      p.metrics_port =
          WaitForPortFile(p.dir + "/metrics_port", kWatchdog).value_or(0);
    }
    return p;
  }

  Process StartBooking(const std::string& name, const std::string& db_url,
                       std::map<std::string, std::string> env = {},
                       std::vector<std::string> extra = {}) {
    env["TRAINING_SERVICE_KEY"] = kBookingKey;
    extra.push_back("--catalogue_address=127.0.0.1:" +
                    std::to_string(catalogue_.port));
    extra.push_back("--manage_token_secrets=" + kTokenSecrets);
    extra.push_back("--address_hash_secrets=" + kAddressHashSecrets);
    if (!db_url.empty()) extra.push_back("--database_url=" + db_url);
    return StartProcess(BOOKING_BINARY, name, extra, env);
  }

  static std::shared_ptr<grpc::Channel> Channel(const Process& p) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", p.port),
                               grpc::InsecureChannelCredentials());
  }

  // A published course with one session of `capacity` places; with
  // `offers`, freed places are offered for a 48-hour hold.
  std::string CreateSession(int capacity, bool offers = false) {
    catalogue::CreateCourseRequest course;
    course.set_course_id("intro-mi");
    course.mutable_course()->set_title("Introduction to MI");
    course.mutable_course()->mutable_duration()->set_seconds(3 * 3600);
    course.mutable_course()->set_level(catalogue::Course::INTRODUCTORY);
    course.mutable_course()->add_eligible_agency_types(
        training::type::v1::HEALTH);
    if (offers) {
      auto* policy = course.mutable_course()->mutable_waitlist_policy();
      policy->set_mode(catalogue::WaitlistPolicy::OFFER_WITH_HOLD);
      policy->mutable_hold_duration()->set_seconds(48 * 3600);
      policy->mutable_minimum_hold_duration()->set_seconds(2 * 3600);
    }
    catalogue::Course created;
    grpc::Status status = catalogue_stub_->CreateCourse(
        Context(kAdminKey).get(), course, &created);
    EXPECT_TRUE(status.ok() ||
                status.error_code() == grpc::StatusCode::ALREADY_EXISTS)
        << status.error_message();
    catalogue::PublishCourseRequest publish;
    publish.set_name("courses/intro-mi");
    EXPECT_TRUE(catalogue_stub_
                    ->PublishCourse(Context(kAdminKey).get(), publish, &created)
                    .ok());
    catalogue::CreateSessionRequest request;
    request.set_parent("courses/intro-mi");
    const absl::Time start = absl::Now() + absl::Hours(24 * 20);
    auto* s = request.mutable_session();
    s->mutable_start_time()->set_seconds(absl::ToUnixSeconds(start));
    s->mutable_end_time()->set_seconds(
        absl::ToUnixSeconds(start + absl::Hours(3)));
    s->set_delivery_mode(catalogue::ONLINE);
    s->set_capacity(capacity);
    catalogue::Session session;
    EXPECT_TRUE(catalogue_stub_
                    ->CreateSession(Context(kAdminKey).get(), request, &session)
                    .ok());
    return session.name();
  }

  static booking::CreateBookingRequest BookingRequest(
      const std::string& session, int n) {
    booking::CreateBookingRequest r;
    r.set_request_id(Uuid(n));
    r.mutable_booking()->set_session(session);
    auto* a = r.mutable_booking()->mutable_attendee();
    a->set_display_name(absl::StrCat("Person ", n));
    a->set_email(absl::StrCat("person", n, "@nhs.example"));
    a->set_organisation("Northshire NHS Trust");
    a->set_agency_type(training::type::v1::HEALTH);
    a->set_job_role("Health visitor");
    a->set_consent_given(true);
    return r;
  }

  // Calls CreateBooking on `stubs` in turn from `start`, retrying with the
  // same request id while the answer is transient (UNAVAILABLE, ABORTED,
  // RESOURCE_EXHAUSTED), up to 20 times; returns the last status.
  static grpc::Status CreateRetrying(
      const std::vector<booking::BookingService::Stub*>& stubs, size_t start,
      const booking::CreateBookingRequest& request, booking::Booking* reply) {
    grpc::Status status;
    for (int attempt = 0; attempt < 20; ++attempt) {
      reply->Clear();
      status = stubs[(start + attempt) % stubs.size()]->CreateBooking(
          Context().get(), request, reply);
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
          status.error_code() != grpc::StatusCode::ABORTED &&
          status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return status;
  }

  // Books `count` people at once from `threads` threads, spreading calls
  // over `stubs`; a call that fails with a transient code is retried with
  // the same request id. Returns every final reply; counts failures.
  struct Run {
    std::vector<booking::Booking> replies;
    int failures = 0;
  };
  Run BookConcurrently(const std::vector<booking::BookingService::Stub*>& stubs,
                       const std::string& session, int count, int threads,
                       int first_id = 0,
                       const std::function<void(int)>& after_each = nullptr) {
    Run run;
    absl::Mutex mu;
    std::atomic<int> next{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (int i = next++; i < count; i = next++) {
          const booking::CreateBookingRequest r =
              BookingRequest(session, first_id + i);
          booking::Booking reply;
          const grpc::Status status = CreateRetrying(stubs, i + t, r, &reply);
          absl::MutexLock lock(&mu);
          if (status.ok()) {
            run.replies.push_back(reply);
          } else {
            ++run.failures;
            ADD_FAILURE() << status.error_code() << " "
                          << status.error_message();
          }
          if (after_each) after_each(i);
        }
      });
    }
    for (auto& worker : workers) worker.join();
    return run;
  }

  // Confirmed and waiting counts and waiting positions, from the database.
  struct Counted {
    int64_t confirmed = 0;
    int64_t waiting = 0;
    int64_t other = 0;
  };
  static Counted CountFromDatabase(const std::string& url,
                                   const std::string& session) {
    Counted counted;
    auto db = sql::Database::Open(url);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return counted;
    auto tx = (*db)->Begin(sql::TxMode::kRead);
    EXPECT_TRUE(tx.ok());
    if (!tx.ok()) return counted;
    auto rows = (*tx)->Query(
        "SELECT state, COUNT(*) AS n FROM bookings WHERE session = $1 "
        "GROUP BY state",
        {session});
    EXPECT_TRUE(rows.ok());
    for (size_t i = 0; rows.ok() && i < rows->size(); ++i) {
      const int64_t state = rows->GetInt64(i, "state").value_or(-1);
      const int64_t n = rows->GetInt64(i, "n").value_or(0);
      if (state == booking::Booking::CONFIRMED) {
        counted.confirmed = n;
      } else if (state == booking::Booking::WAITLISTED) {
        counted.waiting = n;
      } else {
        counted.other += n;
      }
    }
    return counted;
  }

  // Every reply is confirmed or waiting; waiting positions are exactly
  // 1..N-capacity; the database agrees.
  static void ExpectNoOverbooking(const Run& run, const Counted& counted,
                                  int capacity, int requests) {
    EXPECT_EQ(run.failures, 0);
    EXPECT_EQ(counted.confirmed, capacity);
    EXPECT_EQ(counted.waiting, requests - capacity);
    EXPECT_EQ(counted.other, 0);
    int confirmed = 0;
    std::set<int> positions;
    std::set<std::string> names;
    for (const auto& reply : run.replies) {
      names.insert(reply.name());
      if (reply.state() == booking::Booking::CONFIRMED) {
        ++confirmed;
      } else {
        EXPECT_EQ(reply.state(), booking::Booking::WAITLISTED);
        positions.insert(reply.waitlist_position());
      }
    }
    EXPECT_EQ(names.size(), static_cast<size_t>(requests)) << "no duplicates";
    EXPECT_EQ(confirmed, capacity);
    EXPECT_EQ(positions.size(), static_cast<size_t>(requests - capacity));
    if (!positions.empty()) {
      EXPECT_EQ(*positions.begin(), 1);
      EXPECT_EQ(*positions.rbegin(), requests - capacity) << "no gaps";
    }
  }

  booking::Availability AvailabilityOf(booking::BookingService::Stub* stub,
                                       const std::string& session) {
    booking::BatchGetAvailabilityRequest r;
    r.add_sessions(session);
    booking::BatchGetAvailabilityResponse response;
    grpc::Status status =
        stub->BatchGetAvailability(Context().get(), r, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.availabilities_size() == 1 ? response.availabilities(0)
                                               : booking::Availability();
  }

  // The value of `series` (its name and labels as exported, e.g.
  // `x_total{outcome="hit"}`) on a process's /metrics; 0 when absent.
  static double MetricOf(const Process& p, const std::string& series) {
    const std::string text = HttpGet(p.metrics_port, "/metrics").value_or("");
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      double value = 0;
      if (absl::ConsumePrefix(&line, series) &&
          absl::ConsumePrefix(&line, " ") && absl::SimpleAtod(line, &value)) {
        return value;
      }
    }
    return 0;
  }

  redis::testing::RedisServer redis_;
  std::string dir_;
  Process catalogue_;
  std::unique_ptr<catalogue::CatalogueService::Stub> catalogue_stub_;
};

}  // namespace training::testing

#endif  // TRAINING_TESTS_BOOKING_PROCESS_FIXTURE_H_

// The booking binary, end to end: a real catalogue, real booking processes
// (one on SQLite; two sharing PostgreSQL), a real Redis. Many clients race
// for few places through gRPC, and the outcome is counted from the
// database: never more confirmed than capacity, everyone else waiting at
// contiguous positions. Redis stopped mid-run costs no request; a process
// killed between commit and reply gives the retry the same booking.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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
namespace {

namespace booking = training::booking::v1;
namespace catalogue = training::catalogue::v1;

// Generous: the ASan build on a shared 2-core machine is slow.
constexpr absl::Duration kWatchdog = absl::Seconds(120);
const std::string kAdminKey = "trk_admin_booking_process_test_000001";
const std::string kBookingKey = "trk_service_booking_process_test_0001";
const std::string kTokenSecrets =
    "t1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

std::string Uuid(int n) {
  return absl::StrFormat("00000000-0000-4000-8000-%012d", n);
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& key = "") {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + kWatchdog));
  if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
  return context;
}

struct Process {
  std::unique_ptr<ChildProcess> child;
  int port = 0;
  std::string dir;
};

class BookingProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    dir_ = MakeTempDir("booking-process");
    std::ofstream(dir_ + "/keys.json")
        << KeyFile({KeyEntry("admin", kAdminKey, "ADMIN", {}),
                    KeyEntry("booking", kBookingKey, "SERVICE", {})});
    catalogue_ = StartProcess(CATALOGUE_BINARY, "catalogue", {}, {});
    ASSERT_NE(catalogue_.port, 0);
    catalogue_stub_ = catalogue::CatalogueService::NewStub(Channel(catalogue_));
  }

  Process StartProcess(const std::string& binary, const std::string& name,
                       std::vector<std::string> extra,
                       std::map<std::string, std::string> env) {
    Process p;
    p.dir = absl::StrCat(dir_, "/", name);
    std::filesystem::create_directories(p.dir);
    std::vector<std::string> args = {"--port=0",
                                     "--metrics_port=0",
                                     "--port_file=" + p.dir + "/port",
                                     "--shutdown_grace=0s",
                                     "--data_dir=" + p.dir,
                                     "--api_keys_file=" + dir_ + "/keys.json",
                                     "--redis_url=" + redis_.url(),
                                     "--worker_threads=16"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::filesystem::remove(p.dir + "/port");
    p.child = std::make_unique<ChildProcess>(binary, args, env, p.dir + "/log");
    auto port = WaitForPortFile(p.dir + "/port", kWatchdog);
    EXPECT_TRUE(port.has_value()) << p.child->Log();
    p.port = port.value_or(0);
    return p;
  }

  Process StartBooking(const std::string& name, const std::string& db_url,
                       std::map<std::string, std::string> env = {},
                       std::vector<std::string> extra = {}) {
    env["TRAINING_SERVICE_KEY"] = kBookingKey;
    extra.push_back("--catalogue_address=127.0.0.1:" +
                    std::to_string(catalogue_.port));
    extra.push_back("--manage_token_secrets=" + kTokenSecrets);
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
          grpc::Status status;
          for (int attempt = 0; attempt < 20; ++attempt) {
            reply.Clear();
            status = stubs[(i + attempt + t) % stubs.size()]->CreateBooking(
                Context().get(), r, &reply);
            if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
                status.error_code() != grpc::StatusCode::ABORTED &&
                status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) {
              break;
            }
            absl::SleepFor(absl::Milliseconds(50));
          }
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

  redis::testing::RedisServer redis_;
  std::string dir_;
  Process catalogue_;
  std::unique_ptr<catalogue::CatalogueService::Stub> catalogue_stub_;
};

TEST_F(BookingProcessTest, FiveHundredClientsNeverOverbookOnSqlite) {
  const std::string session = CreateSession(25);
  Process booking = StartBooking("booking", "");
  auto stub = booking::BookingService::NewStub(Channel(booking));

  Run run = BookConcurrently({stub.get()}, session, 500, 50);

  ExpectNoOverbooking(
      run,
      CountFromDatabase("sqlite://" + booking.dir + "/booking.db", session), 25,
      500);
  booking::Availability availability = AvailabilityOf(stub.get(), session);
  EXPECT_EQ(availability.confirmed(), 25);
  EXPECT_EQ(availability.waiting(), 475);
  EXPECT_EQ(availability.remaining(), 0);
}

TEST_F(BookingProcessTest, TwoReplicasSharingPostgresNeverOverbook) {
  auto url = sql::testing::NewTestDatabaseUrl(sql::Engine::kPostgres);
  ASSERT_TRUE(url.ok()) << url.status();
  const std::string session = CreateSession(25);
  Process first = StartBooking("booking1", *url + "?pool_size=8");
  Process second = StartBooking("booking2", *url + "?pool_size=8");
  auto stub1 = booking::BookingService::NewStub(Channel(first));
  auto stub2 = booking::BookingService::NewStub(Channel(second));

  Run run = BookConcurrently({stub1.get(), stub2.get()}, session, 500, 50);

  ExpectNoOverbooking(run, CountFromDatabase(*url, session), 25, 500);
  EXPECT_EQ(AvailabilityOf(stub2.get(), session).confirmed(), 25);
}

TEST_F(BookingProcessTest, RedisStoppedMidRunCostsNoRequestAndTheCacheHeals) {
  const std::string session = CreateSession(25);
  Process booking = StartBooking("booking", "", {}, {"--availability_ttl=1s"});
  auto stub = booking::BookingService::NewStub(Channel(booking));
  AvailabilityOf(stub.get(), session);  // warm the cache
  std::atomic<bool> stopped{false};

  Run run = BookConcurrently({stub.get()}, session, 200, 20, 0, [&](int i) {
    if (i >= 60 && !stopped.exchange(true)) redis_.Stop();
  });
  ASSERT_TRUE(stopped.load());
  Run more = BookConcurrently({stub.get()}, session, 40, 8, 1000);
  ASSERT_TRUE(redis_.Start());

  EXPECT_EQ(run.failures + more.failures, 0);
  const Counted counted =
      CountFromDatabase("sqlite://" + booking.dir + "/booking.db", session);
  EXPECT_EQ(counted.confirmed, 25);
  EXPECT_EQ(counted.waiting, 215);
  booking::Availability availability;
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    availability = AvailabilityOf(stub.get(), session);
    if (availability.waiting() == counted.waiting) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(availability.confirmed(), 25);
  EXPECT_EQ(availability.waiting(), counted.waiting);
}

TEST_F(BookingProcessTest, KilledAfterCommitTheRetryGetsTheSameBooking) {
  const std::string session = CreateSession(5);
  const std::string url = "sqlite://" + dir_ + "/booking-crash.db";
  Process warm = StartBooking("warm", url, {}, {"--availability_ttl=1s"});
  auto warm_stub = booking::BookingService::NewStub(Channel(warm));
  booking::Booking first;
  ASSERT_TRUE(
      warm_stub
          ->CreateBooking(Context().get(), BookingRequest(session, 1), &first)
          .ok());
  EXPECT_EQ(AvailabilityOf(warm_stub.get(), session).confirmed(), 1);
  warm.child->Signal(SIGTERM);
  warm.child->Wait(kWatchdog);

  Process doomed = StartBooking("doomed", url,
                                {{"TRAINING_CRASH_AT", "booking.after_commit"}},
                                {"--availability_ttl=1s"});
  auto doomed_stub = booking::BookingService::NewStub(Channel(doomed));
  booking::Booking lost;
  const booking::CreateBookingRequest request = BookingRequest(session, 2);
  grpc::Status crashed =
      doomed_stub->CreateBooking(Context().get(), request, &lost);
  EXPECT_FALSE(crashed.ok());
  EXPECT_FALSE(doomed.child->Wait(kWatchdog).has_value())
      << "killed by SIGKILL, not exited";

  Process restarted =
      StartBooking("restarted", url, {}, {"--availability_ttl=1s"});
  auto stub = booking::BookingService::NewStub(Channel(restarted));
  booking::Booking retried;
  grpc::Status status = stub->CreateBooking(Context().get(), request, &retried);
  booking::Booking replayed;
  grpc::Status again = stub->CreateBooking(Context().get(), request, &replayed);

  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(retried.name(), replayed.name());
  EXPECT_EQ(retried.manage_token(), replayed.manage_token());
  EXPECT_EQ(retried.state(), booking::Booking::CONFIRMED);
  const Counted counted = CountFromDatabase(url, session);
  EXPECT_EQ(counted.confirmed, 2) << "committed once, never twice";
  booking::GetBookingRequest get;
  get.set_name(retried.name());
  booking::Booking fetched;
  EXPECT_TRUE(
      stub->GetBooking(Context(retried.manage_token()).get(), get, &fetched)
          .ok());
  // The crash came before the cache write; the stale figure goes within
  // the TTL.
  booking::Availability availability;
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    availability = AvailabilityOf(stub.get(), session);
    if (availability.confirmed() == 2) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(availability.confirmed(), 2);
}

TEST_F(BookingProcessTest, CatalogueChangesReachBookingsThroughTheStream) {
  const std::string session = CreateSession(2);
  Process booking = StartBooking("booking", "");
  auto stub = booking::BookingService::NewStub(Channel(booking));
  Run run = BookConcurrently({stub.get()}, session, 4, 1);
  ASSERT_EQ(run.replies.size(), 4u);
  auto state_of = [&](const booking::Booking& b) {
    booking::GetBookingRequest get;
    get.set_name(b.name());
    booking::Booking now;
    grpc::Status status = stub->GetBooking(Context(kAdminKey).get(), get, &now);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return now;
  };
  auto wait_for = [&](const std::function<bool()>& done) {
    for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  };

  catalogue::UpdateSessionRequest raise;
  raise.mutable_session()->set_name(session);
  raise.mutable_session()->set_capacity(3);
  raise.mutable_update_mask()->add_paths("capacity");
  catalogue::Session updated;
  ASSERT_TRUE(
      catalogue_stub_->UpdateSession(Context(kAdminKey).get(), raise, &updated)
          .ok());

  EXPECT_TRUE(wait_for([&] {
    return state_of(run.replies[2]).state() == booking::Booking::CONFIRMED;
  })) << "the raised capacity promotes the head of the list";
  EXPECT_EQ(state_of(run.replies[3]).waitlist_position(), 1);

  catalogue::CancelSessionRequest cancel;
  cancel.set_name(session);
  cancel.set_reason("Trainer unwell");
  ASSERT_TRUE(
      catalogue_stub_->CancelSession(Context(kAdminKey).get(), cancel, &updated)
          .ok());

  EXPECT_TRUE(wait_for([&] {
    for (const auto& reply : run.replies) {
      if (state_of(reply).state() != booking::Booking::CANCELLED) return false;
    }
    return true;
  }));
  EXPECT_EQ(state_of(run.replies[0]).cancellation().reason(), "Trainer unwell");
}

// Two booking processes share PostgreSQL and the same offers fall due at
// once: each offer expires exactly once (one OfferExpired event, one
// place passed on), whichever process gets there.
TEST_F(BookingProcessTest, TwoReplicasExpireEachDueOfferExactlyOnce) {
  auto url = sql::testing::NewTestDatabaseUrl(sql::Engine::kPostgres);
  ASSERT_TRUE(url.ok()) << url.status();
  const std::string session = CreateSession(40, /*offers=*/true);
  const std::vector<std::string> fast_due_work = {"--due_work_interval=50ms"};
  Process first =
      StartBooking("booking1", *url + "?pool_size=8", {}, fast_due_work);
  Process second =
      StartBooking("booking2", *url + "?pool_size=8", {}, fast_due_work);
  auto stub1 = booking::BookingService::NewStub(Channel(first));
  auto stub2 = booking::BookingService::NewStub(Channel(second));
  Run run = BookConcurrently({stub1.get(), stub2.get()}, session, 100, 10);
  ASSERT_EQ(run.replies.size(), 100u);
  // 30 cancellations: 30 offers to the head of the list.
  int cancelled = 0;
  for (const auto& reply : run.replies) {
    if (reply.state() != booking::Booking::CONFIRMED || cancelled == 30) {
      continue;
    }
    booking::CancelBookingRequest cancel;
    cancel.set_name(reply.name());
    booking::Booking now;
    ASSERT_TRUE(
        stub1->CancelBooking(Context(kAdminKey).get(), cancel, &now).ok());
    ++cancelled;
  }
  auto db = sql::Database::Open(*url);
  ASSERT_TRUE(db.ok());
  auto scalar = [&](const std::string& sql) -> int64_t {
    auto tx = (*db)->Begin(sql::TxMode::kRead);
    if (!tx.ok()) return -1;
    auto rows = (*tx)->Query(sql);
    return rows.ok() ? rows->GetInt64(0, "n").value_or(-1) : -1;
  };
  ASSERT_EQ(scalar("SELECT COUNT(*) AS n FROM bookings WHERE state = 3"), 30);

  // Time passes for those 30 offers (their due time is moved, not the
  // clocks): both processes see them due at the next scan.
  {
    auto tx = (*db)->Begin(sql::TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)
                    ->Execute("UPDATE bookings SET expire_us = 1 WHERE "
                              "state = 3")
                    .ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    if (scalar("SELECT COUNT(*) AS n FROM bookings WHERE cancel_cause = 4") ==
        30) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  absl::SleepFor(absl::Milliseconds(500));  // time for a second expiry
  EXPECT_EQ(scalar("SELECT COUNT(*) AS n FROM bookings WHERE cancel_cause = 4"),
            30);
  // The next 30 in line hold the places now, not yet due.
  EXPECT_EQ(scalar("SELECT COUNT(*) AS n FROM bookings WHERE state = 3 AND "
                   "expire_us > 1"),
            30);
  EXPECT_EQ(scalar("SELECT offers AS n FROM inventory"), 30);
  EXPECT_EQ(scalar("SELECT confirmed AS n FROM inventory"), 10);
  // One OfferExpired event per expired offer, no more.
  auto tx = (*db)->Begin(sql::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto outbox = training::events::ReadOutbox(**tx);
  ASSERT_TRUE(outbox.ok());
  std::map<std::string, int> expired_events;
  int offered_events = 0;
  for (const training::events::v1::Event& event : *outbox) {
    if (event.has_offer_expired()) {
      ++expired_events[event.offer_expired().booking()];
    }
    offered_events += event.has_place_offered();
  }
  EXPECT_EQ(expired_events.size(), 30u);
  for (const auto& [booking_name, n] : expired_events) {
    EXPECT_EQ(n, 1) << booking_name;
  }
  EXPECT_EQ(offered_events, 60);
}

// Erasure through the real binary: afterwards the person's name and address
// are in no table, no Redis key (the stream included, once the relay has
// published) and no line the process logged.
TEST_F(BookingProcessTest, ErasureLeavesNothingInTablesRedisOrTheLog) {
  const std::string session = CreateSession(5);
  Process booking = StartBooking("booking", "");
  auto stub = booking::BookingService::NewStub(Channel(booking));
  booking::CreateBookingRequest r = BookingRequest(session, 1);
  r.mutable_booking()->mutable_attendee()->set_display_name("Rhiannon Vexley");
  r.mutable_booking()->mutable_attendee()->set_email("R.Vexley@nhs.example");
  r.mutable_booking()->mutable_attendee()->set_access_needs("BSL interpreter");
  booking::Booking booked;
  ASSERT_TRUE(stub->CreateBooking(Context().get(), r, &booked).ok());

  booking::ExportPersonalDataRequest export_request;
  export_request.set_email("r.vexley@NHS.example");
  booking::PersonalDataExport exported;
  ASSERT_TRUE(stub->ExportPersonalData(Context(kAdminKey).get(), export_request,
                                       &exported)
                  .ok());
  ASSERT_EQ(exported.bookings_size(), 1);
  EXPECT_EQ(exported.bookings(0).attendee().access_needs(), "BSL interpreter");
  // Not for anyone else: the export is for admins.
  EXPECT_EQ(stub->ExportPersonalData(Context().get(), export_request, &exported)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  booking::ErasePersonalDataRequest erase;
  erase.set_email("nobody");
  booking::ErasePersonalDataResponse erased;
  EXPECT_EQ(stub->ErasePersonalData(Context(kAdminKey).get(), erase, &erased)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  erase.set_email("R.VEXLEY@nhs.example");
  ASSERT_TRUE(
      stub->ErasePersonalData(Context(kAdminKey).get(), erase, &erased).ok());
  EXPECT_EQ(erased.erased_bookings(), 1);

  // Wait until the relay has published the erasure event.
  auto redis = redis::RedisClient::Create(redis_.url());
  ASSERT_TRUE(redis.ok());
  std::string stream_text;
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    auto entries =
        (*redis)->Command({"XRANGE", "training.events.booking", "-", "+"});
    ASSERT_TRUE(entries.ok());
    stream_text.clear();
    for (const auto& entry : entries->elements) {
      for (const auto& field : entry.elements.at(1).elements)
        stream_text += field.str + "\n";
    }
    if (absl::StrContains(stream_text, "PersonalDataErased")) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(absl::StrContains(stream_text, "PersonalDataErased"));

  std::string everything = stream_text;
  auto keys = (*redis)->Command({"KEYS", "*"});
  ASSERT_TRUE(keys.ok());
  for (const auto& key : keys->elements) {
    auto value = (*redis)->Command({"GET", key.str});  // WRONGTYPE: a stream
    if (value.ok()) everything += value->str + "\n";
  }
  auto db = sql::Database::Open("sqlite://" + booking.dir + "/booking.db");
  ASSERT_TRUE(db.ok());
  auto tx = (*db)->Begin(sql::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto tables =
      (*tx)->Query("SELECT name FROM sqlite_master WHERE type = 'table'");
  ASSERT_TRUE(tables.ok());
  for (size_t t = 0; t < tables->size(); ++t) {
    auto rows = (*tx)->Query("SELECT * FROM " + *tables->GetString(t, "name"));
    ASSERT_TRUE(rows.ok());
    for (const auto& row : rows->rows()) {
      for (const auto& value : row) {
        if (auto* text = std::get_if<std::string>(&value))
          everything += *text + "\n";
      }
    }
  }
  const std::string log = booking.child->Log();
  EXPECT_TRUE(absl::StrContains(log, "personal_data.erased")) << log;
  everything += log;
  for (const char* needle :
       {"vexley", "Vexley", "VEXLEY", "Rhiannon", "BSL interpreter"}) {
    EXPECT_FALSE(absl::StrContains(everything, needle)) << needle;
  }
}

}  // namespace
}  // namespace training::testing

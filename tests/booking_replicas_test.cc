// Two booking replicas sharing PostgreSQL, as a load balancer sees them:
// a request retried on the other pod must get the booking the first one
// made, whichever replica gets there first, and the replicas' first look
// at a new session must not deadlock with each other or with the catalogue
// events that announce it; and availability read on one replica must
// follow bookings made on the other, never going back.

#include <signal.h>

#include <atomic>
#include <thread>

#include "absl/strings/numbers.h"
#include "common/sql/testing/test_databases.h"
#include "tests/booking_process_fixture.h"

namespace training::testing {
namespace {

class BookingReplicasTest : public BookingProcessTest {
 protected:
  // pg_stat_database.deadlocks of the database `url` names.
  // Read once no backend is connected to it any more: a backend flushes
  // its statistics as it exits.
  static int64_t Deadlocks(const std::string& url) {
    const std::string name = url.substr(url.rfind('/') + 1);
    for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
      auto connected = sql::testing::PostgresAdmin(absl::StrCat(
          "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '", name,
          "'"));
      if (connected.ok() && *connected == "0") break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    auto count = sql::testing::PostgresAdmin(absl::StrCat(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = '", name, "'"));
    int64_t n = -1;
    EXPECT_TRUE(count.ok() && absl::SimpleAtoi(*count, &n)) << count.status();
    return n;
  }
};

// The same CreateBooking (same request id, same body) reaches both
// replicas at the same moment, for a session neither has seen: both
// answers are the one booking, with the same manage token; nobody is told
// ALREADY_BOOKED; and PostgreSQL counts no deadlock.
TEST_F(BookingReplicasTest, TheSameRequestOnTwoReplicasGetsOneBookingTwice) {
  auto url = sql::testing::NewTestDatabaseUrl(sql::Engine::kPostgres);
  ASSERT_TRUE(url.ok()) << url.status();
  const int64_t deadlocks_before = Deadlocks(*url);
  Process first = StartBooking("booking1", *url + "?pool_size=8");
  Process second = StartBooking("booking2", *url + "?pool_size=8");
  auto stub1 = booking::BookingService::NewStub(Channel(first));
  auto stub2 = booking::BookingService::NewStub(Channel(second));
  constexpr int kRounds = 20;

  auto expect_one_booking_twice =
      [&](const booking::CreateBookingRequest& request) {
        booking::Booking reply1, reply2;
        grpc::Status status1, status2;
        std::atomic<int> ready{0};
        auto send = [&](booking::BookingService::Stub* stub,
                        booking::Booking* reply, grpc::Status* status) {
          ++ready;
          while (ready.load() < 2) std::this_thread::yield();
          *status = stub->CreateBooking(Context().get(), request, reply);
        };
        std::thread a(send, stub1.get(), &reply1, &status1);
        std::thread b(send, stub2.get(), &reply2, &status2);
        a.join();
        b.join();

        EXPECT_TRUE(status1.ok())
            << status1.error_code() << " " << status1.error_message();
        EXPECT_TRUE(status2.ok())
            << status2.error_code() << " " << status2.error_message();
        EXPECT_FALSE(reply1.name().empty());
        EXPECT_EQ(reply1.name(), reply2.name());
        EXPECT_FALSE(reply1.manage_token().empty());
        EXPECT_EQ(reply1.manage_token(), reply2.manage_token());
        return status1.ok() && status2.ok() && reply1.name() == reply2.name();
      };

  int same = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(round);
    // A new session each round: both replicas meet it for the first time
    // while the catalogue's SessionScheduled event reaches one of them.
    const std::string session = CreateSession(5);

    same += expect_one_booking_twice(BookingRequest(session, round));

    const Counted counted = CountFromDatabase(*url, session);
    EXPECT_EQ(counted.confirmed + counted.waiting + counted.other, 1);
  }
  // Entries for any date of the course are decided apart from the batches.
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE(round);
    booking::CreateBookingRequest any_date = BookingRequest("", 100 + round);
    any_date.mutable_booking()->set_scope(booking::Booking::ANY_DATE);
    any_date.mutable_booking()->set_course("courses/intro-mi");

    same += expect_one_booking_twice(any_date);
  }
  first.child->Signal(SIGTERM);
  second.child->Signal(SIGTERM);
  first.child->Wait(kWatchdog);
  second.child->Wait(kWatchdog);

  EXPECT_EQ(same, kRounds + 5);
  EXPECT_EQ(Deadlocks(*url), deadlocks_before);
}

// Bookings made one after another on A while a reader keeps asking B for
// the session's availability: B reflects each booking A committed (long
// before the ten-minute TTL: through the cache's change stream), and no
// read shows fewer confirmed places than an earlier one did.
TEST_F(BookingReplicasTest, AvailabilityOnOneReplicaFollowsBookingsOnTheOther) {
  auto url = sql::testing::NewTestDatabaseUrl(sql::Engine::kPostgres);
  ASSERT_TRUE(url.ok()) << url.status();
  const std::vector<std::string> flags = {"--availability_ttl=600s"};
  Process a = StartBooking("booking1", *url + "?pool_size=8", {}, flags);
  Process b = StartBooking("booking2", *url + "?pool_size=8", {}, flags);
  auto stub_a = booking::BookingService::NewStub(Channel(a));
  auto stub_b = booking::BookingService::NewStub(Channel(b));
  const std::string session = CreateSession(8);
  ASSERT_EQ(AvailabilityOf(stub_b.get(), session).confirmed(), 0);
  constexpr int kBookings = 6;

  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, failed{0}, went_back{0};
  std::thread reader([&] {
    int highest = -1;
    booking::BatchGetAvailabilityRequest request;
    request.add_sessions(session);
    while (!done.load()) {
      booking::BatchGetAvailabilityResponse response;
      if (!stub_b->BatchGetAvailability(Context().get(), request, &response)
               .ok() ||
          response.availabilities_size() != 1) {
        ++failed;
        continue;
      }
      const int confirmed = response.availabilities(0).confirmed();
      if (confirmed < highest) ++went_back;
      highest = std::max(highest, confirmed);
      ++reads;
    }
  });
  for (int k = 1; k <= kBookings; ++k) {
    booking::Booking made;
    grpc::Status status = stub_a->CreateBooking(
        Context().get(), BookingRequest(session, k), &made);
    // EXPECT, not ASSERT, while the reader runs: it must be joined.
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(made.state(), booking::Booking::CONFIRMED);
    if (!status.ok()) break;
    int seen = -1;
    for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;
         absl::SleepFor(absl::Milliseconds(10))) {
      seen = AvailabilityOf(stub_b.get(), session).confirmed();
      if (seen == k) break;
    }
    EXPECT_EQ(seen, k) << "booking " << k << " never reached B";
  }
  done = true;
  reader.join();

  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(went_back.load(), 0);
  // B answered from its memory, kept up to date by A's writes.
  EXPECT_GT(
      MetricOf(b, R"(training_availability_cache_total{outcome="change"})"), 0);
  EXPECT_GT(MetricOf(b, R"(training_availability_cache_total{outcome="hit"})"),
            0);
}

}  // namespace
}  // namespace training::testing

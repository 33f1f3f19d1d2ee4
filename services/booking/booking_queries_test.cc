// Reads and bad input against a real database (both engines) and a real
// Redis: every operation's bad input names the field and changes nothing,
// agency keys list their own bookings only, and availability comes from
// the cache, falling back to the database while Redis is down.

#include <limits>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "common/random/secure_bytes.h"
#include "common/redis/testing_redis_server.h"
#include "common/runtime/worker_pool.h"
#include "common/sql/testing/engines.h"
#include "common/sql/testing/test_databases.h"
#include "common/status/errors.h"
#include "common/testing/status_matchers.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/booking/bookings_test_fixture.h"
#include "services/booking/store_sql.h"

namespace training::booking {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::training::testing::StatusIs;

class BookingQueriesTest : public BookingsFixture {};

TEST_P(BookingQueriesTest,
       BadInputOnEveryOperationNamesTheFieldAndChangesNothing) {
  auto booking = Book("a@nhs.example", 1);
  ASSERT_THAT(booking, IsOk());
  const std::string before = Snapshot();
  struct Row {
    const char* field;
    std::function<absl::Status()> call;
  } rows[] = {
      {"request_id",
       [&] {
         v1::CreateBookingRequest r;
         r.mutable_booking()->set_session(kSession);
         *r.mutable_booking()->mutable_attendee() = Person("b@nhs.example");
         return bookings_->CreateBooking(Public(), r).status();
       }},
      {"booking.session",
       [&] {
         v1::CreateBookingRequest r;
         r.set_request_id(Uuid(50));
         r.mutable_booking()->set_session("sessions/x");
         *r.mutable_booking()->mutable_attendee() = Person("b@nhs.example");
         return bookings_->CreateBooking(Public(), r).status();
       }},
      {"booking.attendee.email",
       [&] { return Book("not-an-address", 51).status(); }},
      {"name",
       [&] {
         v1::GetBookingRequest r;
         r.set_name("bookings/0000");
         return bookings_->GetBooking(Admin(), r).status();
       }},
      {"name", [&] { return Cancel("nonsense").status(); }},
      {"reason",
       [&] {
         v1::CancelBookingRequest r;
         r.set_name(booking->name());
         r.set_reason(std::string(501, 'x'));
         return bookings_->CancelBooking(Admin(), r).status();
       }},
      {"attendee.job_role",
       [&] {
         v1::SubstituteAttendeeRequest r;
         r.set_name(booking->name());
         *r.mutable_attendee() = Person("c@nhs.example");
         r.mutable_attendee()->clear_job_role();
         return bookings_->SubstituteAttendee(Admin(), r).status();
       }},
      {"name",
       [&] {
         v1::LeaveWaitlistRequest r;
         r.set_name("bookings/");
         return bookings_->LeaveWaitlist(Admin(), r).status();
       }},
      {"sessions",
       [&] {
         v1::BatchGetAvailabilityRequest r;
         return bookings_->BatchGetAvailability(Public(), r).status();
       }},
      {"sessions",
       [&] {
         v1::BatchGetAvailabilityRequest r;
         r.add_sessions(kSession);
         r.add_sessions(kSession);
         return bookings_->BatchGetAvailability(Public(), r).status();
       }},
      {"page_token",
       [&] {
         v1::ListBookingsRequest r;
         r.set_page_token("abc");
         return bookings_->ListBookings(Admin(), r).status();
       }},
      {"states",
       [&] {
         v1::ListBookingsRequest r;
         r.add_states(v1::Booking::STATE_UNSPECIFIED);
         return bookings_->ListBookings(Admin(), r).status();
       }},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.field);

    absl::Status status = row.call();

    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
    std::vector<std::string> fields;
    for (const auto& v : GetFieldViolations(status)) fields.push_back(v.field);
    EXPECT_THAT(fields, ElementsAre(row.field));
    EXPECT_EQ(Snapshot(), before);
  }
}

TEST_P(BookingQueriesTest, AgencyKeysListTheirOwnOrganisationsBookingsOnly) {
  Caller agency;
  agency.kind = Caller::Kind::kAgency;
  agency.organisation = "Northshire NHS Trust";
  Caller other = agency;
  other.organisation = "Southshire Schools";
  for (int i = 0; i < 3; ++i) {
    v1::CreateBookingRequest r;
    r.set_request_id(Uuid(i));
    r.mutable_booking()->set_session(kSession);
    *r.mutable_booking()->mutable_attendee() =
        Person(absl::StrCat("p", i, "@nhs.example"));
    ASSERT_THAT(bookings_->CreateBooking(i < 2 ? agency : other, r), IsOk());
  }
  v1::ListBookingsRequest r;
  r.set_page_size(1);

  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto listed = bookings_->ListBookings(agency, r);
    ASSERT_THAT(listed, IsOk());
    for (const auto& b : listed->bookings()) {
      EXPECT_EQ(b.booked_by_organisation(), "Northshire NHS Trust");
      EXPECT_TRUE(b.manage_token().empty());
      seen.push_back(b.name());
    }
    if (listed->next_page_token().empty()) break;
    r.set_page_token(listed->next_page_token());
  }
  EXPECT_EQ(seen.size(), 2u);
  v1::ListBookingsRequest other_filters;
  other_filters.set_session(kSession);
  other_filters.set_page_token(r.page_token());
  EXPECT_THAT(bookings_->ListBookings(agency, other_filters).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ListBookingsRequest theirs;
  theirs.set_organisation("Southshire Schools");
  EXPECT_THAT(bookings_->ListBookings(agency, theirs).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(BookingQueriesTest,
       AvailabilityComesFromTheCacheAndFallsBackWhenRedisIsDown) {
  ASSERT_THAT(Book("a@nhs.example", 1), IsOk());
  v1::BatchGetAvailabilityRequest r;
  r.add_sessions(kSession);

  auto cached = bookings_->BatchGetAvailability(Public(), r);
  ASSERT_THAT(cached, IsOk());
  EXPECT_EQ(cached->availabilities(0).confirmed(), 1);
  EXPECT_EQ(cached->availabilities(0).remaining(), 2);
  auto in_redis =
      redis_->Command({"HGET", RedisAvailabilityCache::KeyOf(kSession), "v"});
  ASSERT_THAT(in_redis, IsOk());
  EXPECT_FALSE(in_redis->is_nil()) << "written through after the commit";

  redis_server_.Stop();
  ASSERT_THAT(Book("b@nhs.example", 2), IsOk()) << "Redis is not needed";
  auto fallback = bookings_->BatchGetAvailability(Public(), r);
  ASSERT_THAT(fallback, IsOk());
  EXPECT_EQ(fallback->availabilities(0).confirmed(), 2);

  ASSERT_TRUE(redis_server_.Start());
  absl::StatusOr<v1::BatchGetAvailabilityResponse> healed;
  for (int i = 0; i < 200; ++i) {  // the breaker reopens within seconds
    ASSERT_THAT(Book(absl::StrCat("c", i, "@nhs.example"), 100 + i), IsOk());
    healed = bookings_->BatchGetAvailability(Public(), r);
    auto held =
        redis_->Command({"HGET", RedisAvailabilityCache::KeyOf(kSession), "a"});
    if (held.ok() && !held->is_nil()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_THAT(healed, IsOk());
  const int64_t confirmed =
      Scalar("SELECT COUNT(*) AS n FROM bookings WHERE state = 1");
  const int64_t waiting =
      Scalar("SELECT COUNT(*) AS n FROM bookings WHERE state = 2");
  auto now = bookings_->BatchGetAvailability(Public(), r);
  ASSERT_THAT(now, IsOk());
  EXPECT_EQ(now->availabilities(0).confirmed(), confirmed);
  EXPECT_EQ(now->availabilities(0).waiting(), waiting);
  // And reads come from the cache again: a probe written straight into
  // Redis, newer than anything booking wrote, is what the next read says.
  v1::Availability probe = now->availabilities(0);
  probe.set_confirmed(999);
  ASSERT_THAT(
      redis_->Command({"HSET", RedisAvailabilityCache::KeyOf(kSession), "v",
                       "999999999", "a", probe.SerializeAsString()}),
      IsOk());
  auto from_cache = bookings_->BatchGetAvailability(Public(), r);
  ASSERT_THAT(from_cache, IsOk());
  EXPECT_EQ(from_cache->availabilities(0).confirmed(), 999);
}

TEST_P(BookingQueriesTest, AnOlderCacheWriteNeverReplacesANewerOne) {
  v1::Availability newer;
  newer.set_session(kSession);
  newer.set_confirmed(2);
  v1::Availability older = newer;
  older.set_confirmed(1);

  EXPECT_TRUE(cache_->Write(newer, 10));
  EXPECT_FALSE(cache_->Write(older, 9));

  auto read = cache_->Read({kSession});
  ASSERT_TRUE(read[0].has_value());
  EXPECT_EQ(read[0]->confirmed(), 2);
}

TRAINING_ON_BOTH_ENGINES(BookingQueriesTest);

}  // namespace
}  // namespace training::booking

// Catalogue events against a real database (both engines): out-of-range
// events change nothing, capacity changes promote who fits and bump
// nobody, and a cancelled session cancels every booking.

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

class CatalogueEventsTest : public BookingsFixture {};

// Catalogue events come over Redis: one whose capacity would overflow the
// counts is refused (and so dead-lettered by the consumer) and changes
// nothing; the booking path goes on as before.
TEST_P(CatalogueEventsTest, AnOutOfRangeCatalogueEventChangesNothing) {
  ASSERT_THAT(Book("a@nhs.example", 1), IsOk());
  const std::string before = Snapshot();

  absl::Status huge = ChangeCapacity(std::numeric_limits<int>::max());
  absl::Status negative = ChangeCapacity(-1);

  EXPECT_THAT(huge, StatusIs(absl::StatusCode::kInvalidArgument,
                             ::testing::HasSubstr("capacity")));
  EXPECT_THAT(negative, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Snapshot(), before);
  ASSERT_THAT(Book("b@nhs.example", 2), IsOk());
  ExpectInvariants();
}

TEST_P(CatalogueEventsTest, CapacityChangesPromoteWhoFitsAndBumpNobody) {
  std::vector<v1::Booking> made;
  for (int i = 0; i < 6; ++i) {
    ASSERT_OK_AND_ASSIGN(made.emplace_back(),
                         Book(absl::StrCat("p", i, "@nhs.example"), i));
  }

  ASSERT_THAT(ChangeCapacity(5), IsOk());
  EXPECT_EQ(Current(made[3].name()).state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(Current(made[4].name()).state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(Current(made[5].name()).waitlist_position(), 1);
  ExpectInvariants();

  ASSERT_THAT(ChangeCapacity(2), IsOk());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Current(made[i].name()).state(), v1::Booking::CONFIRMED) << i;
  }
  ASSERT_THAT(Cancel(made[0].name()), IsOk());
  EXPECT_EQ(Current(made[5].name()).state(), v1::Booking::WAITLISTED)
      << "no confirmation until below the new capacity";
  EXPECT_EQ(Book("new@nhs.example", 99).value_or(v1::Booking()).state(),
            v1::Booking::WAITLISTED);
}

TEST_P(CatalogueEventsTest, ACancelledSessionCancelsEveryBookingWithTheReason) {
  std::vector<v1::Booking> made;
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK_AND_ASSIGN(made.emplace_back(),
                         Book(absl::StrCat("p", i, "@nhs.example"), i));
  }
  events::v1::Event event;
  event.mutable_session_cancelled()->set_session(kSession);
  event.mutable_session_cancelled()->set_reason("Trainer unwell");

  ASSERT_THAT(Apply(event), IsOk());

  for (const auto& booking : made) {
    auto now = Get(booking.name());
    ASSERT_THAT(now, IsOk());
    EXPECT_EQ(now->state(), v1::Booking::CANCELLED);
    EXPECT_EQ(now->cancellation().cause(), v1::Cancellation::SESSION_CANCELLED);
    EXPECT_EQ(now->cancellation().reason(), "Trainer unwell");
    EXPECT_FALSE(now->cancellation().late());
  }
  EXPECT_EQ(ReasonOf(Book("new@nhs.example", 99).status()),
            "SESSION_CANCELLED");
  ExpectInvariants();
}

TRAINING_ON_BOTH_ENGINES(CatalogueEventsTest);

}  // namespace
}  // namespace training::booking

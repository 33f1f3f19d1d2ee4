// The register against a real database (both engines) and a real Redis:
// attendance before the start is refused and counts once, and marks for
// bookings not on the register change nothing.

#include "services/booking/records_test_fixture.h"

namespace training::booking {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::training::testing::StatusIs;

class RecordsTest : public RecordsFixture {};

TEST_P(RecordsTest, AttendanceBeforeTheStartIsRefusedAndCountsOnce) {
  auto ann = BookAs(kAnn, kSession);
  auto ben = BookAs(kBen, kSession);
  ASSERT_THAT(ann, IsOk());
  ASSERT_THAT(ben, IsOk());
  const std::string before = Snapshot();

  auto early = Mark({{ann->name(), v1::ATTENDED}});
  EXPECT_EQ(ReasonOf(early.status()), "SESSION_NOT_STARTED");
  EXPECT_EQ(Snapshot(), before);

  clock_.Set(kStarted);
  auto first = Mark({{ann->name(), v1::ATTENDED}, {ben->name(), v1::NO_SHOW}});
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->register_().entries_size(), 2);
  EXPECT_EQ(first->register_().entries(0).display_name(), "Ann Archer");
  EXPECT_EQ(first->register_().entries(0).attendance(), v1::ATTENDED);
  EXPECT_EQ(first->register_().entries(1).attendance(), v1::NO_SHOW);
  const int64_t events =
      Scalar("SELECT COALESCE(SUM(event_count), 0) AS n FROM outbox");
  const std::string marked = Snapshot();

  // The same marks again: nothing is written, no event, the same figures.
  ASSERT_THAT(Mark({{ann->name(), v1::ATTENDED}, {ben->name(), v1::NO_SHOW}}),
              IsOk());
  EXPECT_EQ(Snapshot(), marked);
  auto report = Report(kNow, kNow + absl::Hours(24 * 30));
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->totals().attended(), 1);
  EXPECT_EQ(report->totals().no_shows(), 1);

  // A later mark replaces the earlier one.
  auto corrected = Mark({{ben->name(), v1::ATTENDED}});
  ASSERT_THAT(corrected, IsOk());
  EXPECT_EQ(corrected->register_().entries(1).attendance(), v1::ATTENDED);
  EXPECT_EQ(Scalar("SELECT COALESCE(SUM(event_count), 0) AS n FROM outbox"),
            events + 1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM bookings WHERE attendance = 1"),
            2);
}

TEST_P(RecordsTest, MarksForBookingsNotOnTheRegisterChangeNothing) {
  ASSERT_THAT(ChangeCapacity(1), IsOk());
  auto ann = BookAs(kAnn, kSession);
  auto waiting = BookAs(kBen, kSession);
  ASSERT_THAT(ann, IsOk());
  ASSERT_THAT(waiting, IsOk());
  ASSERT_EQ(waiting->state(), v1::Booking::WAITLISTED);
  clock_.Set(kStarted);
  const std::string before = Snapshot();

  auto waitlisted =
      Mark({{ann->name(), v1::ATTENDED}, {waiting->name(), v1::ATTENDED}});
  auto unknown = Mark({{"bookings/ZZZZZZZZ", v1::NO_SHOW}});
  auto twice = Mark({{ann->name(), v1::ATTENDED}, {ann->name(), v1::NO_SHOW}});
  auto unspecified = Mark({{ann->name(), v1::ATTENDANCE_UNSPECIFIED}});
  auto empty = Mark({});
  auto bad_session = Mark({{ann->name(), v1::ATTENDED}}, "sessions/s1");

  EXPECT_THAT(
      GetFieldViolations(waitlisted.status()),
      ElementsAre(FieldViolation{
          "marks[1].booking", "is not a confirmed booking of this session"}));
  EXPECT_THAT(unknown.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(GetFieldViolations(twice.status()).at(0).field, "marks[1].booking");
  EXPECT_EQ(GetFieldViolations(unspecified.status()).at(0).field,
            "marks[0].attendance");
  EXPECT_EQ(GetFieldViolations(empty.status()).at(0).field, "marks");
  EXPECT_EQ(GetFieldViolations(bad_session.status()).at(0).field, "session");
  EXPECT_EQ(Snapshot(), before);

  v1::GetRegisterRequest unknown_session;
  unknown_session.set_session("courses/intro-mi/sessions/nope");
  EXPECT_THAT(records_->GetRegister(Admin(), unknown_session).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TRAINING_ON_BOTH_ENGINES(RecordsTest);

}  // namespace
}  // namespace training::booking

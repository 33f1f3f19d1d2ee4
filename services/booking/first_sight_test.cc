// A session booking has not heard of yet: it asks the catalogue and
// stores what it learns, while the catalogue's own event about the session
// may be arriving through the stream at the same moment.

#include <thread>

#include "common/sql/testing/engines.h"
#include "services/booking/bookings_test_fixture.h"
#include "services/booking/catalogue_facts.h"

namespace training::booking {
namespace {

class FirstSightOnPostgresTest : public BookingsFixture {
 protected:
  int64_t CountOnOtherConnection(const std::string& sql) {
    auto tx = db_->Begin(sql::TxMode::kRead);
    if (!tx.ok()) return -1;
    auto rows = (*tx)->Query(sql);
    return rows.ok() ? rows->GetInt64(0, "n").value_or(-1) : -1;
  }
};

// The SessionScheduled event takes the session's row, then its course's.
// Learning the session on another replica must take them in that order
// too: taking the course's row first, it held it while waiting for the
// session's, and the event then waited for the course's (a deadlock,
// resolved by PostgreSQL after a second and retried unseen).
TEST_P(FirstSightOnPostgresTest, LearningASessionTakesItsRowBeforeItsCourses) {
  const std::string session = "courses/intro-mi/sessions/new";
  const catalogue::Session announced =
      CatalogueSession(session, 5, kNow - absl::Hours(10));
  directory_.Put(announced);
  auto event_tx = db_->Begin(sql::TxMode::kWrite);
  ASSERT_THAT(event_tx, IsOk());
  auto applying = SqlBookingStore::Wrap(**event_tx);
  ASSERT_OK_AND_ASSIGN(const SessionFacts facts, FactsFromCatalogue(announced));
  ASSERT_OK_AND_ASSIGN(const CourseRules rules, RulesFromCatalogue(Course()));
  ASSERT_THAT(applying->PutSessionFacts(facts), IsOk());

  absl::StatusOr<v1::Booking> booked;
  std::thread booking([&] { booked = Book("a@nhs.example", 1, session); });
  bool waiting = false;
  for (absl::Time end = absl::Now() + absl::Seconds(60);
       !waiting && absl::Now() < end;) {
    waiting = CountOnOtherConnection(
                  "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = "
                  "current_database() AND wait_event_type = 'Lock'") > 0;
    if (!waiting) absl::SleepFor(absl::Milliseconds(5));
  }
  const int64_t course_rows_held_while_waiting = CountOnOtherConnection(
      "SELECT COUNT(*) AS n FROM pg_locks held JOIN pg_stat_activity w ON "
      "w.pid = held.pid WHERE w.wait_event_type = 'Lock' AND w.datname = "
      "current_database() AND held.granted AND held.relation = "
      "'courses'::regclass AND held.mode = 'RowExclusiveLock'");
  absl::Status course_rules = applying->PutCourseRules(rules).status();
  absl::Status committed = (*event_tx)->Commit();
  booking.join();

  ASSERT_TRUE(waiting) << "the learner waits for the event's session row";
  EXPECT_EQ(course_rows_held_while_waiting, 0)
      << "the learner wrote the course's row before the session's";
  EXPECT_THAT(course_rules, IsOk());
  EXPECT_THAT(committed, IsOk());
  ASSERT_THAT(booked, IsOk());
  EXPECT_EQ(booked->state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(directory_.lookups(), 1);
}

INSTANTIATE_TEST_SUITE_P(Postgres, FirstSightOnPostgresTest,
                         sql::testing::PostgresOnly(),
                         sql::testing::EngineParamName());

}  // namespace
}  // namespace training::booking

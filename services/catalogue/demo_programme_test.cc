#include "services/catalogue/demo_programme.h"

#include <set>

#include "absl/time/clock.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/catalogue/domain.h"

namespace training::catalogue {
namespace {

using ::testing::IsEmpty;

// The programme must pass the rules the catalogue applies, on any date: a
// year of start days, around both DST changes and new year.
TEST(DemoProgrammeTest, EveryItemIsValidWhateverTheDate) {
  for (absl::CivilDay today(2026, 11, 1); today < absl::CivilDay(2027, 11, 1);
       today += 7) {
    SCOPED_TRACE(absl::FormatCivilTime(today));
    const absl::Time now = absl::FromCivil(today, absl::UTCTimeZone());
    const DemoProgramme p = MakeDemoProgramme(today);
    std::vector<FieldViolation> violations;
    for (auto venue : p.venues) {
      NormalizeVenue(*venue.mutable_venue());
      ValidateVenue(venue.venue(), "venue", violations);
    }
    for (const auto& trainer : p.trainers) {
      ValidateTrainer(trainer.trainer(), "trainer", violations);
    }
    std::set<std::string> courses;
    for (auto course : p.courses) {
      course.mutable_course()->set_name("courses/" + course.course_id());
      NormalizeCourse(*course.mutable_course());
      ValidateCourse(course.course(), "course", violations);
      courses.insert(course.course().name());
    }
    std::set<std::pair<std::string, int64_t>> starts;
    for (auto session : p.sessions) {
      NormalizeSession(*session.mutable_session(), now);
      ValidateSession(
          session.session(),
          {.now = now, .has_joining_details = session.has_joining_details()},
          "session", violations);
      EXPECT_TRUE(courses.count(session.parent())) << session.parent();
      EXPECT_GT(FromProto(session.session().start_time()), now);
      // The loader tells sessions apart by course and start.
      EXPECT_TRUE(starts
                      .insert({session.parent(),
                               session.session().start_time().seconds()})
                      .second);
    }
    EXPECT_THAT(violations, IsEmpty());
    EXPECT_GE(p.sessions.size(), 20u);
  }
}

TEST(DemoProgrammeTest, WorkshopsStartAtHalfPastNineLondonTime) {
  const DemoProgramme p = MakeDemoProgramme(absl::CivilDay(2027, 1, 15));
  int in_person_workshops = 0;
  for (auto session : p.sessions) {
    if (session.parent() != "courses/intro-mi" ||
        session.session().delivery_mode() != v1::IN_PERSON) {
      continue;
    }
    ++in_person_workshops;
    FillLocalTimes(*session.mutable_session());
    EXPECT_EQ(session.session().local_start().substr(10, 6), "T09:30");
    EXPECT_EQ(session.session().local_end().substr(10, 6), "T13:00");
  }
  EXPECT_EQ(in_person_workshops, 6);
}

}  // namespace
}  // namespace training::catalogue

#include "gateway/web/display_format.h"

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace training::gateway::web {
namespace {

absl::Time London(int y, int m, int d, int hh, int mm) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm),
                         ZoneOrLondon("Europe/London"));
}

TEST(DisplayFormatTest, SessionTimesReadAsTheStyleGuideWrites) {
  const absl::TimeZone london = ZoneOrLondon("");
  EXPECT_EQ(FormatSessionTime(London(2027, 7, 5, 9, 30),
                              London(2027, 7, 5, 12, 30), london),
            "Monday 5 July 2027, 9:30am to 12:30pm");
  EXPECT_EQ(FormatSessionTime(London(2027, 1, 12, 10, 0),
                              London(2027, 1, 12, 12, 0), london),
            "Tuesday 12 January 2027, 10am to midday");
  EXPECT_EQ(FormatSessionTime(London(2027, 3, 1, 9, 0),
                              London(2027, 3, 2, 16, 5), london),
            "Monday 1 March 2027, 9am to Tuesday 2 March 2027, 4:05pm");
}

TEST(DisplayFormatTest, TimesAreShownInTheSessionsZone) {
  // 08:30 UTC in July is 9:30am in London (BST) and 10:30am in Paris.
  const absl::Time t = absl::FromCivil(absl::CivilMinute(2027, 7, 5, 8, 30),
                                       absl::UTCTimeZone());
  EXPECT_EQ(FormatClockTime(t, ZoneOrLondon("Europe/London")), "9:30am");
  EXPECT_EQ(FormatClockTime(t, ZoneOrLondon("Europe/Paris")), "10:30am");
  EXPECT_EQ(FormatClockTime(t, ZoneOrLondon("Not/AZone")), "9:30am");
  EXPECT_EQ(FormatClockTime(London(2027, 7, 5, 0, 0), ZoneOrLondon("")),
            "midnight");
  EXPECT_EQ(FormatDateTime(t, ZoneOrLondon("Europe/London")),
            "Monday 5 July 2027, 9:30am");
}

TEST(DisplayFormatTest, PlacesAndWaitingAreCountedInWords) {
  EXPECT_EQ(PlacesLeft(0), "No places left");
  EXPECT_EQ(PlacesLeft(1), "1 place left");
  EXPECT_EQ(PlacesLeft(12), "12 places left");
  EXPECT_EQ(PeopleWaiting(1), "1 person waiting");
  EXPECT_EQ(PeopleWaiting(0), "0 people waiting");
  EXPECT_EQ(DisplayReference("K7QXM4RA"), "K7QX-M4RA");
}

}  // namespace
}  // namespace training::gateway::web

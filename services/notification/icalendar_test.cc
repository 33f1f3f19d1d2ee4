#include "services/notification/icalendar.h"

#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::notification {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::Time Utc(int y, int m, int d, int hh, int mm) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm),
                         absl::UTCTimeZone());
}

CalendarEvent Session() {
  CalendarEvent event;
  event.uid = "K7QXM4RA-qjgwfd8af3@training.example.org";
  event.sequence = 2;
  event.stamp = Utc(2027, 6, 1, 12, 0);
  event.start = Utc(2027, 7, 15, 8, 30);  // 09:30 in London (BST)
  event.end = Utc(2027, 7, 15, 11, 30);
  event.time_zone = "Europe/London";
  event.summary = "Introduction to Motivational Interviewing";
  event.description = "Bring your questions; lunch, not provided.";
  event.location = "Civic Centre, Room 2, Northshire";
  event.url = "https://training.example.org/manage/K7QXM4RA";
  event.organizer = {"Training team", "training@partnership.example.org"};
  event.attendee = {"Pat Example", "pat@nhs.example"};
  return event;
}

std::vector<std::string> Lines(const std::string& calendar) {
  return absl::StrSplit(calendar, "\r\n");
}

TEST(ICalendarTest, LinesFoldAt75OctetsAndNeverSplitACharacter) {
  std::string text = "DESCRIPTION:";
  for (int i = 0; i < 40; ++i) text += "Ĺondon ✓ ";  // 2- and 3-byte UTF-8
  const std::string folded = FoldLine(text);
  ASSERT_TRUE(absl::EndsWith(folded, "\r\n"));
  for (const std::string& line : Lines(folded)) {
    EXPECT_LE(line.size(), 75u) << line;
    if (line.size() > 1 && line[0] == ' ') {
      EXPECT_NE(static_cast<unsigned char>(line[1]) & 0xC0, 0x80) << line;
    }
  }
  EXPECT_EQ(absl::StrReplaceAll(folded, {{"\r\n ", ""}}), text + "\r\n");
}

TEST(ICalendarTest, TextIsEscaped) {
  EXPECT_EQ(EscapeText("a,b;c\\d\ne\r"), "a\\,b\\;c\\\\d\\ne");
}

TEST(ICalendarTest, LondonsZoneHasBothTransitions) {
  auto zone = TimeZoneComponent("Europe/London", Utc(2027, 7, 15, 8, 30),
                                Utc(2027, 7, 15, 11, 30));
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_THAT(*zone, HasSubstr("TZID:Europe/London\r\n"));
  EXPECT_THAT(*zone, HasSubstr("BEGIN:DAYLIGHT\r\nDTSTART:20270328T010000\r\n"
                               "TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\n"
                               "TZNAME:BST\r\n"));
  EXPECT_THAT(*zone, HasSubstr("BEGIN:STANDARD\r\nDTSTART:20271031T020000\r\n"
                               "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\n"
                               "TZNAME:GMT\r\n"));
  auto utc =
      TimeZoneComponent("UTC", Utc(2027, 1, 1, 0, 0), Utc(2027, 1, 1, 1, 0));
  ASSERT_TRUE(utc.ok());
  EXPECT_THAT(*utc, HasSubstr("TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000"));
}

TEST(ICalendarTest, ARequestCarriesWhatOutlookAndGoogleNeed) {
  auto calendar = WriteCalendar(Session(), CalendarMethod::kRequest);
  ASSERT_TRUE(calendar.ok()) << calendar.status();
  const std::string& ics = *calendar;
  EXPECT_TRUE(absl::StartsWith(ics, "BEGIN:VCALENDAR\r\n"));
  EXPECT_TRUE(absl::EndsWith(ics, "END:VCALENDAR\r\n"));
  EXPECT_THAT(ics, Not(HasSubstr("\n\n")));
  for (const std::string& line : Lines(ics)) EXPECT_LE(line.size(), 75u);
  for (const char* expected :
       {"METHOD:REQUEST\r\n", "VERSION:2.0\r\n",
        "UID:K7QXM4RA-qjgwfd8af3@training.example.org\r\n", "SEQUENCE:2\r\n",
        "DTSTAMP:20270601T120000Z\r\n",
        "DTSTART;TZID=Europe/London:20270715T093000\r\n",
        "DTEND;TZID=Europe/London:20270715T123000\r\n",
        "ORGANIZER;CN=\"Training "
        "team\":mailto:training@partnership.example.org",
        "PARTSTAT=ACCEPTED;RSVP=FALSE", "mailto:pat@nhs.example",
        "LOCATION:Civic Centre\\, Room 2\\, Northshire\r\n",
        "STATUS:CONFIRMED\r\n", "BEGIN:VTIMEZONE\r\n"}) {
    EXPECT_THAT(absl::StrReplaceAll(ics, {{"\r\n ", ""}}), HasSubstr(expected))
        << expected;
  }
  EXPECT_STREQ(MethodName(CalendarMethod::kRequest), "REQUEST");
}

TEST(ICalendarTest, AWinterSessionIsInGreenwichTime) {
  CalendarEvent event = Session();
  event.start = Utc(2027, 1, 20, 9, 30);
  event.end = Utc(2027, 1, 20, 12, 30);
  auto calendar = WriteCalendar(event, CalendarMethod::kRequest);
  ASSERT_TRUE(calendar.ok());
  EXPECT_THAT(*calendar,
              HasSubstr("DTSTART;TZID=Europe/London:20270120T093000\r\n"));
}

TEST(ICalendarTest, CancelAndPublish) {
  auto cancel = WriteCalendar(Session(), CalendarMethod::kCancel);
  ASSERT_TRUE(cancel.ok());
  EXPECT_THAT(*cancel, HasSubstr("METHOD:CANCEL\r\n"));
  EXPECT_THAT(*cancel, HasSubstr("STATUS:CANCELLED\r\n"));
  EXPECT_THAT(*cancel, HasSubstr("ATTENDEE;"));
  auto publish = WriteCalendar(Session(), CalendarMethod::kPublish);
  ASSERT_TRUE(publish.ok());
  EXPECT_THAT(*publish, HasSubstr("METHOD:PUBLISH\r\n"));
  EXPECT_THAT(*publish, Not(HasSubstr("ATTENDEE")));
}

// What a booking's attendee typed cannot add a property: line breaks are
// escaped, addresses that would end the line are refused.
TEST(ICalendarTest, TypedTextCannotAddLines) {
  CalendarEvent event = Session();
  event.summary = "MI\r\nATTENDEE:mailto:evil@example.net";
  event.attendee.name = "Pat\"\r\n:mailto:evil@example.net";
  auto calendar = WriteCalendar(event, CalendarMethod::kRequest);
  ASSERT_TRUE(calendar.ok());
  for (const std::string& line : Lines(*calendar)) {
    EXPECT_FALSE(absl::StartsWith(line, "ATTENDEE:mailto:evil")) << line;
  }
  EXPECT_THAT(*calendar, HasSubstr("SUMMARY:MI\\nATTENDEE:mailto:evil"));
}

TEST(ICalendarTest, BadInputIsRefusedByField) {
  struct Case {
    const char* field;
    void (*spoil)(CalendarEvent&);
  };
  const Case cases[] = {
      {"uid", [](CalendarEvent& e) { e.uid = ""; }},
      {"uid", [](CalendarEvent& e) { e.uid = "a b"; }},
      {"end", [](CalendarEvent& e) { e.end = e.start; }},
      {"time_zone", [](CalendarEvent& e) { e.time_zone = "Mars/Olympus"; }},
      {"time_zone", [](CalendarEvent& e) { e.time_zone = "/etc/passwd"; }},
      {"time_zone",
       [](CalendarEvent& e) {
         e.time_zone = "/usr/share/zoneinfo/Europe/London";
       }},
      {"time_zone", [](CalendarEvent& e) { e.time_zone = "libc:localtime"; }},
      {"organizer.email",
       [](CalendarEvent& e) { e.organizer.email = "team\r\n@x.org"; }},
      {"attendee.email", [](CalendarEvent& e) { e.attendee.email = "nobody"; }},
      {"url", [](CalendarEvent& e) { e.url = "javascript:alert(1)"; }},
  };
  for (const Case& c : cases) {
    CalendarEvent event = Session();
    c.spoil(event);
    auto calendar = WriteCalendar(event, CalendarMethod::kRequest);
    EXPECT_EQ(calendar.status().code(), absl::StatusCode::kInvalidArgument)
        << c.field;
    EXPECT_THAT(calendar.status().message(), HasSubstr(c.field));
  }
}

}  // namespace
}  // namespace training::notification

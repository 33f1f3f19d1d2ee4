#include "services/notification/message_plan.h"

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/notification/default_templates.h"
#include "services/notification/mail_relay.h"
#include "services/notification/mime_message.h"
#include "services/notification/personalisation.h"
#include "services/notification/template_render.h"

namespace training::notification {
namespace {

using events::v1::BookingCancelled;
using events::v1::Event;
using ::testing::HasSubstr;
using ::testing::Not;

Event Cancelled(BookingCancelled::Cause cause, const std::string& before) {
  Event e;
  auto* c = e.mutable_booking_cancelled();
  c->set_booking("bookings/AAAA2222");
  c->set_session("courses/mi/sessions/s1");
  c->set_cause(cause);
  c->set_previous_state(before);
  return e;
}

TEST(MessagePlanTest, ACancellationIsWordedByItsCause) {
  auto attendee =
      PlanMessages(Cancelled(BookingCancelled::ATTENDEE, "confirmed"));
  auto team =
      PlanMessages(Cancelled(BookingCancelled::TRAINING_TEAM, "waitlisted"));
  auto session =
      PlanMessages(Cancelled(BookingCancelled::SESSION_CANCELLED, "confirmed"));
  auto erased = PlanMessages(
      Cancelled(BookingCancelled::PERSONAL_DATA_ERASED, "confirmed"));

  ASSERT_EQ(attendee.size(), 1u);
  EXPECT_EQ(attendee[0].kind, v1::BOOKING_CANCELLED);
  EXPECT_EQ(attendee[0].calendar, CalendarPart::kCancel);
  ASSERT_EQ(team.size(), 1u);
  EXPECT_EQ(team[0].kind, v1::BOOKING_CANCELLED_BY_TEAM);
  EXPECT_EQ(team[0].calendar, CalendarPart::kNone) << "nothing in a calendar";
  ASSERT_EQ(session.size(), 1u);
  EXPECT_EQ(session[0].kind, v1::SESSION_CANCELLED);
  EXPECT_TRUE(erased.empty()) << "an erased person is sent nothing";
}

TEST(MessagePlanTest, ASubstitutionCancelsForOneAndInvitesTheOther) {
  Event e;
  auto* s = e.mutable_attendee_substituted();
  s->set_booking("bookings/AAAA2222");
  s->set_session("courses/mi/sessions/s1");
  s->set_previous_contact_id("c-1");

  auto plan = PlanMessages(e);

  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].kind, v1::ATTENDEE_REPLACED);
  EXPECT_EQ(plan[0].role, v1::Delivery::REPLACED_ATTENDEE);
  EXPECT_EQ(plan[0].calendar, CalendarPart::kCancel);
  EXPECT_EQ(plan[0].previous_contact_id, "c-1");
  EXPECT_EQ(plan[1].kind, v1::ATTENDEE_SUBSTITUTED);
  EXPECT_EQ(plan[1].role, v1::Delivery::ATTENDEE);
  EXPECT_EQ(plan[1].calendar, CalendarPart::kRequest);
}

TEST(MessagePlanTest, OnlyChangesAttendeesNeedGoOut) {
  Event capacity;
  capacity.mutable_session_changed()->mutable_session()->set_name(
      "courses/mi/sessions/s1");
  capacity.mutable_session_changed()->add_changes(events::v1::CAPACITY);
  Event time = capacity;
  time.mutable_session_changed()->add_changes(events::v1::TIME);

  EXPECT_TRUE(PlanMessages(capacity).empty());
  auto plan = PlanMessages(time);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].kind, v1::SESSION_CHANGED);
  EXPECT_TRUE(plan[0].booking.empty()) << "every confirmed booking";
  EXPECT_EQ(plan[0].session, "courses/mi/sessions/s1");
}

TEST(MessagePlanTest, SlugsAndUidsAreStable) {
  EXPECT_EQ(DefaultTemplateSlug(v1::BOOKING_CANCELLED_BY_TEAM),
            "booking-cancelled-by-team");
  EXPECT_EQ(CalendarUid("AAAA2222", "courses/mi/sessions/s1", "example.org"),
            "AAAA2222-s1@example.org");
}

// Every default template uses only what its kind provides, and renders
// with those values.
TEST(DefaultTemplatesTest, EachRendersWithItsKindsValues) {
  std::set<v1::MessageKind> kinds;
  for (const DefaultTemplate& t : DefaultTemplates()) {
    SCOPED_TRACE(v1::MessageKind_Name(t.kind));
    EXPECT_TRUE(kinds.insert(t.kind).second) << "one default per kind";
    const std::set<std::string> known = PlaceholdersFor(t.kind);
    EXPECT_TRUE(CheckPlaceholders(t.subject, known).ok());
    EXPECT_TRUE(CheckPlaceholders(t.body, known).ok())
        << CheckPlaceholders(t.body, known);
    std::map<std::string, std::string> values;
    for (const std::string& name : known) values[name] = "no";
    auto body = RenderTemplate(t.body, values, TemplateFormat::kPlainText);
    EXPECT_TRUE(body.ok()) << body.status();
    EXPECT_THAT(*body, HasSubstr("training team"));
  }
  EXPECT_GE(kinds.size(), 11u);
}

TEST(PersonalisationTest, DatesAndTimesAreInTheSessionsZoneInGovUkStyle) {
  absl::TimeZone london;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/London", &london));
  // 08:30 UTC on the Monday after the clocks went forward: 9:30am BST.
  const absl::Time summer = absl::FromCivil(
      absl::CivilSecond(2027, 3, 29, 8, 30, 0), absl::UTCTimeZone());
  const absl::Time winter = absl::FromCivil(
      absl::CivilSecond(2027, 3, 25, 12, 0, 0), absl::UTCTimeZone());

  EXPECT_EQ(FormatDate(summer, london), "Monday 29 March 2027");
  EXPECT_EQ(FormatClock(summer, london), "9:30am");
  EXPECT_EQ(FormatClock(winter, london), "12pm");
  EXPECT_EQ(ManageLink("https://book.example.org/", "AAAA2222", "tok"),
            "https://book.example.org/manage/AAAA2222/tok");
}

TEST(PersonalisationTest, BaseValuesSayOnlineOrThePlace) {
  SessionDetails session{.title = "Introduction to MI",
                         .start = absl::FromUnixSeconds(1806220800),
                         .end = absl::FromUnixSeconds(1806231600),
                         .time_zone = "Europe/London",
                         .online = true};
  auto values = BaseValues({"Pat", "AAAA2222", "tok"}, session,
                           "https://book.example.org", "team@example.org");
  session.time_zone = "Mars/Olympus";
  auto bad = BaseValues({"Pat", "AAAA2222", "tok"}, session, "", "");

  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(values->at("place"), "online");
  EXPECT_EQ(values->at("is_online"), "yes");
  EXPECT_EQ(values->at("manage_link"),
            "https://book.example.org/manage/AAAA2222/tok");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MimeTest, AnInviteIsMultipartAlternativeWithAMatchingMethod) {
  MailMessage m{
      .from_name = "Training team",
      .from_address = "team@example.org",
      .to_address = "pat@example.org",
      .subject = "Café booked",
      .text_body = "Hello Pat,\nSee you there. \nA=B",
      .calendar = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
      .calendar_method = "REQUEST",
      .message_id = "abc123@example.org",
      .date = absl::FromUnixSeconds(0)};

  const std::string mime = WriteMime(m);

  EXPECT_THAT(mime, HasSubstr("Message-ID: <abc123@example.org>\r\n"));
  EXPECT_THAT(mime, HasSubstr("Auto-Submitted: auto-generated\r\n"));
  EXPECT_THAT(mime, HasSubstr("Subject: =?UTF-8?B?"));
  EXPECT_THAT(mime, HasSubstr("multipart/alternative"));
  EXPECT_THAT(mime, HasSubstr("text/calendar; charset=utf-8; method=REQUEST"));
  EXPECT_THAT(mime, HasSubstr("See you there.=20\r\nA=3DB"));
  EXPECT_THAT(mime, Not(HasSubstr("\n\n"))) << "every line ends in CRLF";
}

TEST(MimeTest, HeadersCannotBeInjected) {
  EXPECT_EQ(EncodeHeaderText("Booked\r\nBcc: x@example.org"),
            "Booked  Bcc: x@example.org");
}

TEST(MimeTest, QuotedPrintableKeepsLinesShort) {
  const std::string long_line(200, 'a');
  for (absl::string_view line :
       absl::StrSplit(QuotedPrintable(long_line), "\r\n")) {
    EXPECT_LE(line.size(), 76u);
  }
}

TEST(MailRelayTest, ErrorsLoseTheirAddresses) {
  EXPECT_EQ(WithoutAddresses("550 5.1.1 <pat.smith@nhs.example>: no such user"),
            "550 5.1.1 <<address>>: no such user");
}

}  // namespace
}  // namespace training::notification

#include "common/runtime/control_characters.h"

#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "training/booking/v1/booking_service.pb.h"
#include "training/catalogue/v1/catalogue_service.pb.h"
#include "training/content/v1/content_service.pb.h"
#include "training/notification/v1/notification_service.pb.h"

namespace training::runtime {
namespace {

using ::testing::ElementsAreArray;
using training::booking::v1::CreateBookingRequest;

constexpr char kSingleLine[] = "must not contain control characters";
constexpr char kMultiLine[] =
    "must not contain control characters other than tab and line breaks";

CreateBookingRequest Clean() {
  CreateBookingRequest r;
  r.set_request_id("00000000-0000-4000-8000-000000000001");
  r.mutable_booking()->set_session("courses/intro-mi/sessions/s1");
  auto* a = r.mutable_booking()->mutable_attendee();
  a->set_display_name("Zoë O'Brien");
  a->set_email("zoe@nhs.example");
  a->set_organisation("Northshire NHS Trust");
  a->set_job_role("Health visitor");
  a->set_access_needs("Step-free access\n\tand a hearing loop\r\n");
  return r;
}

TEST(ControlCharacterCheckTest, FindsEachFieldHoldingAForbiddenCharacter) {
  struct Case {
    const char* name;
    std::function<void(CreateBookingRequest&)> spoil;
    std::vector<FieldViolation> expected;
  };
  const Case cases[] = {
      {"clean, with prose over lines", [](CreateBookingRequest&) {}, {}},
      {"NUL in a name",
       [](CreateBookingRequest& r) {
         r.mutable_booking()->mutable_attendee()->set_display_name(
             std::string("Alex\0Morgan", 11));
       },
       {{"booking.attendee.display_name", kSingleLine}}},
      {"BEL and ESC in two fields",
       [](CreateBookingRequest& r) {
         r.mutable_booking()->mutable_attendee()->set_organisation("NHS\a");
         r.mutable_booking()->mutable_attendee()->set_job_role("\x1b[31m");
       },
       {{"booking.attendee.organisation", kSingleLine},
        {"booking.attendee.job_role", kSingleLine}}},
      {"a line break where one line is meant",
       [](CreateBookingRequest& r) {
         r.mutable_booking()->mutable_attendee()->set_display_name("A\nB");
       },
       {{"booking.attendee.display_name", kSingleLine}}},
      {"DEL at the top level",
       [](CreateBookingRequest& r) { r.set_request_id("id\x7f"); },
       {{"request_id", kSingleLine}}},
      {"NUL in multi-line prose",
       [](CreateBookingRequest& r) {
         r.mutable_booking()->mutable_attendee()->set_access_needs(
             std::string("ramp\n\0", 6));
       },
       {{"booking.attendee.access_needs", kMultiLine}}},
  };
  ControlCharacterCheck check(CreateBookingRequest::descriptor());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CreateBookingRequest request = Clean();
    c.spoil(request);

    EXPECT_THAT(check.Check(request), ElementsAreArray(c.expected));
  }
}

TEST(ControlCharacterCheckTest, NamesRepeatedElementsByIndex) {
  training::booking::v1::BatchRecordAttendanceRequest marks;
  marks.set_session("courses/intro-mi/sessions/s1");
  marks.add_marks()->set_booking("bookings/AAAAAAAA");
  marks.add_marks()->set_booking(std::string("bookings/\0", 10));
  training::catalogue::v1::CreateVenueRequest venue;
  venue.mutable_venue()->add_address_lines("1 High Street");
  venue.mutable_venue()->add_address_lines("Floor\t2");
  venue.mutable_venue()->set_accessibility_notes("Lift\r\nParking\tbehind");

  EXPECT_THAT(ControlCharacterCheck(marks.descriptor()).Check(marks),
              ElementsAreArray(std::vector<FieldViolation>{
                  {"marks[1].booking", kSingleLine}}));
  EXPECT_THAT(ControlCharacterCheck(venue.descriptor()).Check(venue),
              ElementsAreArray(std::vector<FieldViolation>{
                  {"venue.address_lines[1]", kSingleLine}}));
}

TEST(ControlCharacterCheckTest, MarkedFieldsOfEveryServiceTakeProse) {
  training::content::v1::CreateArticleRequest article;
  article.mutable_article()->set_title("What MI is");
  article.mutable_article()->set_body_markdown("# Heading\n\n* one\n\t* two\n");
  training::notification::v1::SendTestMessageRequest message;
  (*message.mutable_personalisation())["first_name"] = "Sam\r\nBcc: x";

  EXPECT_TRUE(
      ControlCharacterCheck(article.descriptor()).Check(article).empty());
  article.mutable_article()->set_title("What\nMI is");
  EXPECT_THAT(ControlCharacterCheck(article.descriptor()).Check(article),
              ElementsAreArray(
                  std::vector<FieldViolation>{{"article.title", kSingleLine}}));
  EXPECT_THAT(ControlCharacterCheck(message.descriptor()).Check(message),
              ElementsAreArray(std::vector<FieldViolation>{
                  {"personalisation",
                   "keys and values must not contain control characters"}}));
}

}  // namespace
}  // namespace training::runtime

#include "gateway/web/booking_form.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::gateway::web {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

std::map<std::string, std::string> Complete() {
  return {{"full_name", "  Sam Taylor "},
          {"email", "sam.taylor@example.org"},
          {"phone", ""},
          {"organisation", "Northshire Council"},
          {"agency_type", "early_help"},
          {"job_role", "Family support worker"},
          {"line_manager", ""},
          {"access_needs", "Step-free access\r\nA hearing loop"},
          {"consent", "yes"}};
}

TEST(BookingFormTest, ACompleteFormHasNoMistakesAndIsTrimmed) {
  const BookingAnswers a = AnswersFromForm(Complete());
  EXPECT_THAT(CheckAnswers(a), IsEmpty());
  EXPECT_EQ(a.full_name, "Sam Taylor");
  EXPECT_EQ(a.access_needs, "Step-free access\nA hearing loop");
  EXPECT_TRUE(a.consent);
  EXPECT_EQ(AnswersFromForm(FormFromAnswers(a)).access_needs, a.access_needs);
}

TEST(BookingFormTest, AnEmptyFormShowsEveryRequiredQuestionInOrder) {
  const std::vector<FormError> errors = CheckAnswers(AnswersFromForm({}));
  std::vector<std::string> fields;
  for (const FormError& e : errors) fields.push_back(e.field);
  EXPECT_THAT(fields, ElementsAre("full_name", "email", "organisation",
                                  "agency_type", "job_role", "consent"));
  EXPECT_EQ(errors[0].message, "Enter your full name");
}

TEST(BookingFormTest, BadFormatsAreNamedOnTheirQuestion) {
  auto form = Complete();
  form["email"] = "sam.taylor";
  form["phone"] = "call me";
  form["line_manager"] = "boss@";
  form["agency_type"] = "martians";
  form["access_needs"] = std::string(2001, 'x');
  form["full_name"] = std::string(201, 'y');
  std::vector<std::string> fields;
  for (const FormError& e : CheckAnswers(AnswersFromForm(form))) {
    fields.push_back(e.field);
  }
  EXPECT_THAT(fields, ElementsAre("full_name", "email", "phone", "agency_type",
                                  "line_manager", "access_needs"));
}

TEST(BookingFormTest, LimitsCountCharactersNotBytes) {
  auto form = Complete();
  std::string name;
  for (int i = 0; i < 200; ++i) name += "é";  // 400 bytes, 200 characters
  form["full_name"] = name;
  EXPECT_THAT(CheckAnswers(AnswersFromForm(form)), IsEmpty());
}

TEST(BookingFormTest, RefusalsLandOnTheirQuestions) {
  EXPECT_THAT(ErrorsFromRefusal({{"booking.attendee.email", "bad"}}, ""),
              ElementsAre(Field(&FormError::field, "email")));
  EXPECT_THAT(ErrorsFromRefusal({}, "ALREADY_BOOKED"),
              ElementsAre(Field(&FormError::field, "email")));
  EXPECT_THAT(ErrorsFromRefusal({}, "AGENCY_TYPE_NOT_ELIGIBLE"),
              ElementsAre(Field(&FormError::field, "agency_type")));
  EXPECT_THAT(ErrorsFromRefusal({{"booking.attendee.email", "too long"},
                                 {"booking.attendee.email", "no @"}},
                                "ALREADY_BOOKED"),
              ElementsAre(Field(&FormError::field, "email")));
  EXPECT_THAT(ErrorsFromRefusal({}, "BOOKING_CLOSED"), IsEmpty());
  EXPECT_THAT(ErrorsFromRefusal({{"request_id", "bad"}}, ""), IsEmpty());
}

}  // namespace
}  // namespace training::gateway::web

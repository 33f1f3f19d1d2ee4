#ifndef TRAINING_GATEWAY_WEB_BOOKING_FORM_H_
#define TRAINING_GATEWAY_WEB_BOOKING_FORM_H_

// The booking form's questions and their rules, in plain C++: what a
// person typed, checked the way the booking service will check it, with
// the design system's messages ("Enter your full name"), and the services'
// field violations and refusals put back on the question they are about.
// Checking here first lets every mistake show at once, in words for
// people; the service's check stays the one that counts.

#include <map>
#include <string>
#include <vector>

#include "common/status/errors.h"

namespace training::gateway::web {

// The form's field names, in the order the questions are asked.
inline constexpr const char* kBookingFields[] = {
    "full_name", "email",        "phone",        "organisation", "agency_type",
    "job_role",  "line_manager", "access_needs", "consent"};

struct BookingAnswers {
  std::string full_name;
  std::string email;
  std::string phone;
  std::string organisation;
  std::string agency_type;  // an AgencyType name in lower case, "" if none
  std::string job_role;
  std::string line_manager;
  std::string access_needs;
  bool consent = false;
};

// One mistake, on the question `field` (a name in kBookingFields).
struct FormError {
  std::string field;
  std::string message;
  bool operator==(const FormError&) const = default;
};

// The answers in a submitted form; text is trimmed, and line endings in
// access needs become \n.
BookingAnswers AnswersFromForm(const std::map<std::string, std::string>& form);

// The answers as the form's fields (for the hidden fields of the check
// page and to refill the form).
std::map<std::string, std::string> FormFromAnswers(const BookingAnswers& a);

// Whose details a form asks: the messages speak to them or of them.
enum class Person {
  kSelf,       // the person booking
  kColleague,  // the colleague a place passes to
};

// Every mistake, in question order; empty when the answers may be sent.
std::vector<FormError> CheckAnswers(const BookingAnswers& answers,
                                    Person who = Person::kSelf);

// The agency types a person can choose, as (form value, label), in the
// order shown.
const std::vector<std::pair<std::string, std::string>>& AgencyTypeChoices();

// A refusal from the booking service as mistakes on the form: its field
// violations on their questions, ALREADY_BOOKED on the e-mail and
// AGENCY_TYPE_NOT_ELIGIBLE on the agency type. Empty when the refusal is
// about no question (the session closed, the service down).
std::vector<FormError> ErrorsFromRefusal(
    const std::vector<FieldViolation>& violations, const std::string& reason,
    Person who = Person::kSelf);

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_BOOKING_FORM_H_

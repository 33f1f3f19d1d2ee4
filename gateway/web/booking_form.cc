#include "gateway/web/booking_form.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/text/text.h"

namespace training::gateway::web {
namespace {

constexpr size_t kMaxShortText = 200;
constexpr size_t kMaxAccessNeeds = 2000;

std::string Field(const std::map<std::string, std::string>& form,
                  const char* name) {
  auto it = form.find(name);
  if (it == form.end()) return "";
  return std::string(absl::StripAsciiWhitespace(it->second));
}

// Characters, not bytes: limits are stated in characters.
size_t Length(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

// Digits and spaces with an optional leading +, 7 to 20 characters.
bool LooksLikePhone(const std::string& phone) {
  if (phone.size() < 7 || phone.size() > 20) return false;
  for (size_t i = 0; i < phone.size(); ++i) {
    const char c = phone[i];
    if (!(absl::ascii_isdigit(c) || c == ' ' || (c == '+' && i == 0))) {
      return false;
    }
  }
  return true;
}

}  // namespace

BookingAnswers AnswersFromForm(const std::map<std::string, std::string>& form) {
  BookingAnswers a;
  a.full_name = Field(form, "full_name");
  a.email = Field(form, "email");
  a.phone = Field(form, "phone");
  a.organisation = Field(form, "organisation");
  a.agency_type = Field(form, "agency_type");
  a.job_role = Field(form, "job_role");
  a.line_manager = Field(form, "line_manager");
  a.access_needs =
      absl::StrReplaceAll(Field(form, "access_needs"), {{"\r\n", "\n"}});
  a.consent = Field(form, "consent") == "yes";
  return a;
}

std::map<std::string, std::string> FormFromAnswers(const BookingAnswers& a) {
  return {{"full_name", a.full_name},
          {"email", a.email},
          {"phone", a.phone},
          {"organisation", a.organisation},
          {"agency_type", a.agency_type},
          {"job_role", a.job_role},
          {"line_manager", a.line_manager},
          {"access_needs", a.access_needs},
          {"consent", a.consent ? "yes" : ""}};
}

const std::vector<std::pair<std::string, std::string>>& AgencyTypeChoices() {
  static const auto* choices =
      new std::vector<std::pair<std::string, std::string>>{
          {"childrens_social_care", "Children's social care"},
          {"early_help", "Early help or family support"},
          {"health", "Health"},
          {"education", "School, college or early years"},
          {"police", "Police"},
          {"probation_youth_justice", "Probation or youth justice"},
          {"housing", "Housing"},
          {"voluntary_sector", "Voluntary or community sector"},
          {"other", "Other"}};
  return *choices;
}

std::vector<FormError> CheckAnswers(const BookingAnswers& a, Person who) {
  const bool self = who == Person::kSelf;
  std::vector<FormError> errors;
  if (a.full_name.empty()) {
    errors.push_back({"full_name", self ? "Enter your full name"
                                        : "Enter your colleague's full name"});
  } else if (Length(a.full_name) > kMaxShortText) {
    errors.push_back(
        {"full_name", "Full name must be 200 characters or fewer"});
  }
  if (a.email.empty()) {
    errors.push_back({"email", self ? "Enter your work email address"
                                    : "Enter your colleague's work email "
                                      "address"});
  } else if (!text::IsValidEmail(a.email)) {
    errors.push_back({"email",
                      "Enter an email address in the correct format, like "
                      "name@example.com"});
  }
  if (!a.phone.empty() && !LooksLikePhone(a.phone)) {
    errors.push_back({"phone",
                      "Enter a telephone number, like 01632 960 001 or +44 "
                      "808 157 0192"});
  }
  if (a.organisation.empty()) {
    errors.push_back(
        {"organisation", self ? "Enter the name of your organisation"
                              : "Enter the name of your colleague's "
                                "organisation"});
  } else if (Length(a.organisation) > kMaxShortText) {
    errors.push_back(
        {"organisation", "Organisation must be 200 characters or fewer"});
  }
  bool known_type = false;
  for (const auto& [value, label] : AgencyTypeChoices()) {
    known_type = known_type || value == a.agency_type;
  }
  if (!known_type) {
    errors.push_back(
        {"agency_type", self ? "Select the kind of organisation you work for"
                             : "Select the kind of organisation your "
                               "colleague works for"});
  }
  if (a.job_role.empty()) {
    errors.push_back({"job_role", self ? "Enter your job title or role"
                                       : "Enter your colleague's job title "
                                         "or role"});
  } else if (Length(a.job_role) > kMaxShortText) {
    errors.push_back({"job_role", "Job title must be 200 characters or fewer"});
  }
  if (!a.line_manager.empty() && !text::IsValidEmail(a.line_manager)) {
    errors.push_back({"line_manager",
                      absl::StrCat("Enter ", self ? "your" : "their",
                                   " line manager's email address in the "
                                   "correct format, like name@example.com")});
  }
  if (Length(a.access_needs) > kMaxAccessNeeds) {
    errors.push_back(
        {"access_needs", "Access needs must be 2,000 characters or fewer"});
  }
  if (!a.consent) {
    errors.push_back(
        {"consent", self ? "Confirm that you agree to us keeping your "
                           "details for this booking"
                         : "Confirm that your colleague agrees to us "
                           "keeping their details for this booking"});
  }
  return errors;
}

std::vector<FormError> ErrorsFromRefusal(
    const std::vector<FieldViolation>& violations, const std::string& reason,
    Person who) {
  struct Message {
    const char* field;      // the form's
    const char* self;       // on one's own booking form
    const char* colleague;  // on the form for a colleague
  };
  static const auto* kMessages = new std::map<std::string, Message>{
      {"booking.attendee.display_name",
       {"full_name", "Enter your full name as it should appear on the register",
        "Enter your colleague's full name as it should appear on the "
        "register"}},
      {"booking.attendee.email",
       {"email", "Enter a work email address, like name@example.com",
        "Enter a work email address, like name@example.com"}},
      {"booking.attendee.phone",
       {"phone", "Enter a telephone number, like 01632 960 001",
        "Enter a telephone number, like 01632 960 001"}},
      {"booking.attendee.organisation",
       {"organisation", "Enter the name of your organisation",
        "Enter the name of your colleague's organisation"}},
      {"booking.attendee.agency_type",
       {"agency_type", "Select the kind of organisation you work for",
        "Select the kind of organisation your colleague works for"}},
      {"booking.attendee.job_role",
       {"job_role", "Enter your job title or role",
        "Enter your colleague's job title or role"}},
      {"booking.attendee.line_manager_email",
       {"line_manager",
        "Enter your line manager's work email address, like "
        "name@example.com",
        "Enter their line manager's work email address, like "
        "name@example.com"}},
      {"booking.attendee.access_needs",
       {"access_needs", "Access needs must be 2,000 characters or fewer",
        "Access needs must be 2,000 characters or fewer"}},
      {"booking.attendee.consent_given",
       {"consent",
        "Confirm that you agree to us keeping your details for this "
        "booking",
        "Confirm that your colleague agrees to us keeping their details "
        "for this booking"}}};
  const bool self = who == Person::kSelf;
  std::vector<FormError> errors;
  // One mistake a question: two violations of one field (too long and not
  // an address) read as one.
  auto add = [&errors](const FormError& e) {
    for (const FormError& have : errors) {
      if (have.field == e.field) return;
    }
    errors.push_back(e);
  };
  for (const FieldViolation& v : violations) {
    auto it = kMessages->find(v.field);
    if (it == kMessages->end()) continue;
    add({it->second.field, self ? it->second.self : it->second.colleague});
  }
  if (reason == "ALREADY_BOOKED") {
    add({"email", self ? "This email address already has a place or a "
                         "waiting list entry for this session. Use the link "
                         "in your confirmation email to manage it"
                       : "This email address already has a place or a "
                         "waiting list entry for this session. Enter the "
                         "address of a colleague who is not booked on it"});
  } else if (reason == "AGENCY_TYPE_NOT_ELIGIBLE") {
    add({"agency_type",
         "This course is not open to people from this kind of "
         "organisation. Choose another course, or get in touch "
         "if you think this is wrong"});
  }
  return errors;
}

}  // namespace training::gateway::web

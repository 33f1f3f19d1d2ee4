// The questions about a person, worded for them.

#include "gateway/web/person_questions.h"

#include "absl/strings/str_cat.h"
#include "gateway/web/components/components.h"
#include "gateway/web/page_parts.h"

namespace training::gateway::web {
namespace {

namespace mustache = kainjow::mustache;
using Values = std::map<std::string, std::string>;

// A browser fills a field marked with a token from its own details: right
// for oneself, wrong for a colleague (whose form would get the holder's).
const char* Autocomplete(Person who, const char* token) {
  return who == Person::kSelf ? token : "off";
}

void AboutYou(Person who, const Values& v, const std::vector<FormError>& errors,
              mustache::data& data) {
  const bool self = who == Person::kSelf;
  data.set("full_name",
           Input({{"id", "full_name"},
                  {"name", "full_name"},
                  {"value", v.at("full_name")},
                  {"autocomplete", Autocomplete(who, "name")},
                  {"spellcheck", false},
                  {"label", {{"text", "Full name"}}},
                  {"hint", {{"text", "As it should appear on the register"}}},
                  {"errorMessage", ErrorMessageFor(errors, "full_name")}}));
  data.set("email",
           Input({{"id", "email"},
                  {"name", "email"},
                  {"type", "email"},
                  {"value", v.at("email")},
                  {"autocomplete", Autocomplete(who, "email")},
                  {"spellcheck", false},
                  {"label", {{"text", "Work email address"}}},
                  {"hint",
                   {{"text", self ? "We will send your confirmation here"
                                  : "We will send them the booking"}}},
                  {"errorMessage", ErrorMessageFor(errors, "email")}}));
  data.set(
      "phone",
      Input({{"id", "phone"},
             {"name", "phone"},
             {"type", "tel"},
             {"value", v.at("phone")},
             {"autocomplete", Autocomplete(who, "tel")},
             {"classes", "govuk-input--width-20"},
             {"label", {{"text", "Work telephone number (optional)"}}},
             {"hint",
              {{"text", self ? "In case we need to reach you on the day"
                             : "In case we need to reach them on the day"}}},
             {"errorMessage", ErrorMessageFor(errors, "phone")}}));
}

void YourWork(Person who, const Values& v, const std::vector<FormError>& errors,
              mustache::data& data) {
  const bool self = who == Person::kSelf;
  data.set("organisation",
           Input({{"id", "organisation"},
                  {"name", "organisation"},
                  {"value", v.at("organisation")},
                  {"autocomplete", Autocomplete(who, "organization")},
                  {"label", {{"text", "Organisation"}}},
                  {"hint",
                   {{"text", self ? "The organisation you work for"
                                  : "The organisation they work for"}}},
                  {"errorMessage", ErrorMessageFor(errors, "organisation")}}));
  Params items = Params::array();
  for (const auto& [value, label] : AgencyTypeChoices()) {
    items.push_back({{"value", value}, {"text", label}});
  }
  data.set(
      "agency_type",
      Radios({{"name", "agency_type"},
              {"value", v.at("agency_type")},
              {"fieldset",
               {{"legend",
                 {{"text", self ? "What kind of organisation do you work for?"
                                : "What kind of organisation do they work "
                                  "for?"},
                  {"classes", "govuk-fieldset__legend--s"}}}}},
              {"items", items},
              {"errorMessage", ErrorMessageFor(errors, "agency_type")}}));
  data.set("job_role",
           Input({{"id", "job_role"},
                  {"name", "job_role"},
                  {"value", v.at("job_role")},
                  {"autocomplete", Autocomplete(who, "organization-title")},
                  {"label", {{"text", "Job title or role"}}},
                  {"errorMessage", ErrorMessageFor(errors, "job_role")}}));
  data.set("line_manager",
           Input({{"id", "line_manager"},
                  {"name", "line_manager"},
                  {"type", "email"},
                  {"value", v.at("line_manager")},
                  {"spellcheck", false},
                  {"label",
                   {{"text", self ? "Your line manager's work email (optional)"
                                  : "Their line manager's work email "
                                    "(optional)"}}},
                  {"hint",
                   {{"text", self ? "We will let them know you have booked, if "
                                    "you give it"
                                  : "We will let them know your colleague is "
                                    "booked, if you give it"}}},
                  {"errorMessage", ErrorMessageFor(errors, "line_manager")}}));
}

void TakingPart(Person who, const Values& v,
                const std::vector<FormError>& errors, mustache::data& data) {
  const bool self = who == Person::kSelf;
  data.set(
      "access_needs",
      Textarea(
          {{"id", "access_needs"},
           {"name", "access_needs"},
           {"value", v.at("access_needs")},
           {"label",
            {{"text", self ? "Is there anything you need to take "
                             "part? (optional)"
                           : "Is there anything your colleague needs "
                             "to take part? (optional)"},
             {"classes", "govuk-label--s"}}},
           {"hint",
            {{"text",
              absl::StrCat("For example, step-free access, a hearing "
                           "loop, large print or regular breaks. Only "
                           "the training team and ",
                           self ? "your" : "their", " trainer see this.")}}},
           {"errorMessage", ErrorMessageFor(errors, "access_needs")}}));
  data.set(
      "consent",
      Checkboxes({{"name", "consent"},
                  {"values", Params::array({v.at("consent")})},
                  {"fieldset",
                   {{"legend",
                     {{"text", self ? "Do you agree to us keeping your details?"
                                    : "Does your colleague agree to us keeping "
                                      "their details?"},
                      {"classes", "govuk-fieldset__legend--s"}}}}},
                  {"items",
                   Params::array({{{"value", "yes"},
                                   {"text", self ? "I agree to the partnership "
                                                   "keeping these details for "
                                                   "this booking, as the "
                                                   "privacy notice describes"
                                                 : "My colleague agrees to the "
                                                   "partnership keeping these "
                                                   "details for this booking, "
                                                   "as the privacy notice "
                                                   "describes"}}})},
                  {"errorMessage", ErrorMessageFor(errors, "consent")}}));
}

}  // namespace

void PersonQuestions(Person who, const Values& values,
                     const std::vector<FormError>& errors,
                     mustache::data& data) {
  const bool self = who == Person::kSelf;
  data.set("about_heading", self ? "About you" : "About your colleague");
  data.set("work_heading", self ? "Your work" : "Their work");
  data.set("privacy_heading",
           self ? "Your details and privacy" : "Their details and privacy");
  AboutYou(who, values, errors, data);
  YourWork(who, values, errors, data);
  TakingPart(who, values, errors, data);
}

}  // namespace training::gateway::web

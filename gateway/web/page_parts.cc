#include "gateway/web/page_parts.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gateway/web/components/components.h"
#include "gateway/web/display_format.h"

namespace training::gateway::web {

std::string SessionTitle(const catalogue::v1::Session& s) {
  return s.title().empty() ? s.course_title() : s.title();
}

std::string SessionWhen(const catalogue::v1::Session& s) {
  return FormatSessionTime(absl::FromUnixSeconds(s.start_time().seconds()),
                           absl::FromUnixSeconds(s.end_time().seconds()),
                           ZoneOrLondon(s.time_zone()));
}

std::string SessionWhere(const catalogue::v1::Session& s) {
  return s.delivery_mode() == catalogue::v1::ONLINE
             ? "Online"
             : absl::StrCat("In person, ", s.area(), " area");
}

std::string ReferencePanel(const std::string& title,
                           const std::string& reference) {
  return Panel(
      {{"titleText", title},
       {"html", absl::StrCat("Your reference<br><strong>",
                             DisplayReference(reference), "</strong>")}});
}

std::string ArticlePagePath(const std::string& article) {
  return "/learning/" + article.substr(article.find('/') + 1);
}

bool HasStarted(const catalogue::v1::Session& session, absl::Time now) {
  return absl::FromUnixSeconds(session.start_time().seconds()) <= now;
}

Params SessionRows(const catalogue::v1::Session& s) {
  if (s.name().empty()) {
    // An any-date waiting-list entry: the course, any of its dates.
    const char* which = s.delivery_mode() == catalogue::v1::ONLINE
                            ? "Any date, online"
                        : s.delivery_mode() == catalogue::v1::IN_PERSON
                            ? "Any date, in person"
                            : "Any date, online or in person";
    return Params::array(
        {{{"key", {{"text", "Course"}}},
          {"value", {{"text", SessionTitle(s)}}}},
         {{"key", {{"text", "Date and time"}}}, {"value", {{"text", which}}}}});
  }
  return Params::array(
      {{{"key", {{"text", "Course"}}}, {"value", {{"text", SessionTitle(s)}}}},
       {{"key", {{"text", "Date and time"}}},
        {"value", {{"text", SessionWhen(s)}}}},
       {{"key", {{"text", "Where"}}}, {"value", {{"text", SessionWhere(s)}}}}});
}

booking::v1::Attendee AttendeeOf(const BookingAnswers& a) {
  booking::v1::Attendee attendee;
  attendee.set_display_name(a.full_name);
  attendee.set_email(a.email);
  attendee.set_phone(a.phone);
  attendee.set_organisation(a.organisation);
  type::v1::AgencyType agency = type::v1::AGENCY_TYPE_UNSPECIFIED;
  type::v1::AgencyType_Parse(absl::AsciiStrToUpper(a.agency_type), &agency);
  attendee.set_agency_type(agency);
  attendee.set_job_role(a.job_role);
  attendee.set_line_manager_email(a.line_manager);
  attendee.set_access_needs(a.access_needs);
  attendee.set_consent_given(a.consent);
  return attendee;
}

Params ErrorMessageFor(const std::vector<FormError>& errors,
                       const std::string& field) {
  for (const FormError& e : errors) {
    if (e.field == field) return Params{{"text", e.message}};
  }
  return Params();
}

std::string ErrorSummaryFor(const std::vector<FormError>& errors) {
  if (errors.empty()) return "";
  Params list = Params::array();
  for (const FormError& e : errors) {
    list.push_back({{"text", e.message}, {"href", "#" + e.field}});
  }
  return ErrorSummary(
      {{"titleText", "There is a problem"}, {"errorList", list}});
}

}  // namespace training::gateway::web

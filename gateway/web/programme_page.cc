// GET /: the sessions to come, with filters for dates, delivery mode and
// area, a page at a time.

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "common/logging/log.h"
#include "common/status/errors.h"
#include "gateway/web/components/components.h"
#include "gateway/web/display_format.h"
#include "gateway/web/keyset_paging.h"
#include "gateway/web/page_parts.h"
#include "gateway/web/web_http.h"
#include "gateway/web/web_pages.h"

namespace training::gateway::web {
namespace {

// Months a person can pick, from this one on.
constexpr int kMonthsShown = 12;

struct Filters {
  std::string course;  // a course's id, or "" for every course
  std::string month;   // "2027-07", or "" for any date
  std::string mode;    // "", "online" or "in_person"
  std::string area;
  PagePosition at;
  std::vector<FormError> errors;
};

// The months offered, as (value, label): "2027-07", "July 2027".
std::vector<std::pair<std::string, std::string>> MonthChoices(absl::Time now) {
  const absl::TimeZone london = ZoneOrLondon("");
  absl::CivilMonth month = absl::ToCivilMonth(now, london);
  std::vector<std::pair<std::string, std::string>> months;
  for (int i = 0; i < kMonthsShown; ++i, ++month) {
    const absl::Time first = absl::FromCivil(month, london);
    months.emplace_back(absl::FormatTime("%Y-%m", first, london),
                        absl::FormatTime("%B %Y", first, london));
  }
  return months;
}

// The start of "2027-07" in London; nullopt when not a month.
std::optional<absl::Time> MonthStart(const std::string& text) {
  absl::CivilMonth month;
  if (!absl::ParseCivilTime(text, &month)) return std::nullopt;
  return absl::FromCivil(month, ZoneOrLondon(""));
}

Filters FiltersFrom(const std::map<std::string, std::string>& query) {
  Filters f;
  auto get = [&](const char* name) { return TrimmedFormValue(query, name); };
  f.course = get("course");
  f.month = get("month");
  f.mode = get("mode");
  f.area = absl::AsciiStrToUpper(get("area"));
  f.at = PagePositionFrom(query);
  // Only the months offered: an old bookmark's past month is a mistake to
  // show, not a query the catalogue would refuse.
  bool offered = f.month.empty();
  for (const auto& [value, label] : MonthChoices(absl::Now())) {
    offered = offered || value == f.month;
  }
  if (!offered) f.errors.push_back({"month", "Select a month from the list"});
  if (f.mode != "" && f.mode != "online" && f.mode != "in_person") f.mode = "";
  const bool area_ok = f.area.size() <= 4 &&
                       std::all_of(f.area.begin(), f.area.end(), [](char c) {
                         return absl::ascii_isalnum(c);
                       });
  if (!area_ok) {
    f.errors.push_back(
        {"area", "Enter the first part of a postcode, like CM1"});
  }
  return f;
}

// The filters as a link's query parts.
std::vector<std::string> FilterParts(const Filters& f) {
  std::vector<std::string> parts;
  if (!f.course.empty()) parts.push_back("course=" + UrlEncode(f.course));
  if (!f.month.empty()) parts.push_back("month=" + UrlEncode(f.month));
  if (!f.mode.empty()) parts.push_back("mode=" + UrlEncode(f.mode));
  if (!f.area.empty()) parts.push_back("area=" + UrlEncode(f.area));
  return parts;
}

// The published courses as (id, title), by title.
using CourseChoices = std::vector<std::pair<std::string, std::string>>;

void FilterForm(const Filters& f, const CourseChoices& courses,
                mustache::data& data) {
  data.set("filter_errors", ErrorSummaryFor(f.errors));
  Params course_items =
      Params::array({{{"value", ""}, {"text", "Every course"}}});
  for (const auto& [id, title] : courses) {
    course_items.push_back({{"value", id}, {"text", title}});
  }
  data.set("course_select",
           Select({{"id", "course"},
                   {"name", "course"},
                   {"value", f.course},
                   {"label", {{"text", "Course"}}},
                   {"items", course_items},
                   {"errorMessage", ErrorMessageFor(f.errors, "course")}}));
  Params months = Params::array({{{"value", ""}, {"text", "Any date"}}});
  for (const auto& [value, label] : MonthChoices(absl::Now())) {
    months.push_back({{"value", value}, {"text", label}});
  }
  data.set("month_select",
           Select({{"id", "month"},
                   {"name", "month"},
                   {"value", f.month},
                   {"label", {{"text", "Month"}}},
                   {"items", months},
                   {"errorMessage", ErrorMessageFor(f.errors, "month")}}));
  data.set("mode_radios",
           Radios({{"name", "mode"},
                   {"classes", "govuk-radios--small"},
                   {"value", f.mode},
                   {"fieldset",
                    {{"legend",
                      {{"text", "How it is run"},
                       {"classes", "govuk-fieldset__legend--s"}}}}},
                   {"items",
                    Params::array(
                        {{{"value", ""},
                          {"text", "Online or in person"},
                          {"checked", f.mode.empty()}},
                         {{"value", "online"}, {"text", "Online"}},
                         {{"value", "in_person"}, {"text", "In person"}}})}}));
  data.set(
      "area_input",
      Input({{"id", "area"},
             {"name", "area"},
             {"value", f.area},
             {"classes", "govuk-input--width-5"},
             {"label", {{"text", "Area"}}},
             {"hint", {{"text", "The first part of a postcode, like CM1"}}},
             {"errorMessage", ErrorMessageFor(f.errors, "area")}}));
  data.set("apply_button", Button({{"text", "Apply filters"},
                                   {"classes", "govuk-button--secondary"}}));
}

// The session's line in the list.
mustache::data SessionRow(const catalogue::Session& s,
                          const booking::Availability& a) {
  mustache::data row;
  row.set("url", "/" + s.name());
  row.set("title", SessionTitle(s));
  row.set("when", SessionWhen(s));
  row.set("where", SessionWhere(s));
  if (!a.bookable()) {
    row.set("places",
            Tag({{"text", "Booking closed"}, {"classes", "govuk-tag--grey"}}));
  } else if (a.remaining() > 0) {
    row.set("places", Tag({{"text", PlacesLeft(a.remaining())},
                           {"classes", "govuk-tag--green"}}));
  } else {
    row.set("places",
            Tag({{"text", absl::StrCat("Fully booked – waiting list open, ",
                                       PeopleWaiting(a.waiting()))},
                 {"classes", "govuk-tag--yellow"}}));
  }
  return row;
}

// The catalogue's query for the filters (none when they hold a mistake).
catalogue::ListSessionsRequest SessionQuery(const Filters& f, int page_size) {
  catalogue::ListSessionsRequest list;
  list.set_parent(f.errors.empty() && !f.course.empty() ? "courses/" + f.course
                                                        : "courses/-");
  list.set_page_size(page_size);
  list.set_page_token(f.at.page);
  if (!f.errors.empty()) return list;
  if (std::optional<absl::Time> start = MonthStart(f.month)) {
    // The current month starts at the catalogue's default, now: a start
    // that moved each second would void every page token it issued.
    if (*start > absl::Now()) {
      list.mutable_earliest_start_time()->set_seconds(
          absl::ToUnixSeconds(*start));
    }
    absl::CivilMonth month;
    absl::ParseCivilTime(f.month, &month);
    list.mutable_latest_start_time()->set_seconds(
        absl::ToUnixSeconds(absl::FromCivil(month + 1, ZoneOrLondon(""))));
  }
  if (f.mode == "online") list.set_delivery_mode(catalogue::ONLINE);
  if (f.mode == "in_person") list.set_delivery_mode(catalogue::IN_PERSON);
  list.set_area(f.area);
  return list;
}

}  // namespace

http::HttpResponse WebPages::Programme(const http::HttpRequest& request,
                                       const PageCall& call) const {
  std::optional<std::map<std::string, std::string>> query =
      DecodeForm(request.Query());
  if (!query) return NotFound();
  Filters f = FiltersFrom(*query);
  catalogue::ListCoursesRequest list_courses;
  list_courses.set_page_size(200);
  absl::StatusOr<catalogue::ListCoursesResponse> courses =
      suite_->ListCourses(list_courses, call);
  if (!courses.ok()) return Failure(courses.status());
  CourseChoices choices;
  bool known_course = f.course.empty();
  for (const catalogue::Course& c : courses->courses()) {
    const std::string id = c.name().substr(c.name().find('/') + 1);
    choices.emplace_back(id, c.title());
    known_course = known_course || id == f.course;
  }
  if (!known_course) {
    f.errors.insert(f.errors.begin(),
                    {"course", "Select a course from the list"});
  }
  absl::StatusOr<catalogue::ListSessionsResponse> sessions =
      suite_->ListSessions(SessionQuery(f, options_.page_size), call);
  if (absl::IsInvalidArgument(sessions.status()) && !f.at.page.empty()) {
    // A page token from an old link: start again from the first page.
    return SeeOther(FirstPageLink("/", FilterParts(f)));
  }
  if (absl::IsInvalidArgument(sessions.status())) {
    // The catalogue's rule for a district is the one that counts.
    for (const FieldViolation& v : GetFieldViolations(sessions.status())) {
      if (v.field == "area") {
        f.errors.push_back(
            {"area", "Enter the first part of a postcode, like CM1"});
      }
    }
    if (!f.errors.empty()) sessions = catalogue::ListSessionsResponse();
  }
  if (!sessions.ok()) return Failure(sessions.status());
  std::vector<std::string> names;
  for (const catalogue::Session& s : sessions->sessions()) {
    names.push_back(s.name());
  }
  absl::StatusOr<std::vector<booking::Availability>> availability =
      suite_->Availability(names, call);
  if (!availability.ok()) return Failure(availability.status());
  mustache::data data;
  FilterForm(f, choices, data);
  mustache::list rows;
  for (int i = 0; i < sessions->sessions_size(); ++i) {
    rows.push_back(SessionRow(sessions->sessions(i), (*availability)[i]));
  }
  data.set("sessions", rows);
  data.set("result_heading",
           rows.empty() ? "No sessions found" : "Sessions to come");
  data.set("pagination", KeysetPagination("/", FilterParts(f), f.at,
                                          sessions->next_page_token()));
  return renderer_->Page({.title = "Safeguarding training courses and dates",
                          .content = renderer_->Body("programme", data),
                          .has_errors = !f.errors.empty()});
}

}  // namespace training::gateway::web

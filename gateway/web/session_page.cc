// GET /courses/{course}/sessions/{session}: what the session is, when and
// where, who runs it, places left, and the way to book.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gateway/web/components/components.h"
#include "gateway/web/display_format.h"
#include "gateway/web/web_pages.h"

namespace training::gateway::web {
namespace {

std::string EscapedLines(const std::vector<std::string>& lines) {
  std::vector<std::string> escaped;
  for (const std::string& line : lines) {
    if (!line.empty()) escaped.push_back(Escape(line));
  }
  return absl::StrJoin(escaped, "<br>");
}

}  // namespace

http::HttpResponse WebPages::Session(const std::string& name,
                                     const CallContext& call) const {
  absl::StatusOr<catalogue::Session> session = suite_->GetSession(name, call);
  if (!session.ok()) return Failure(session.status());
  const std::string course_name =
      std::string(name.substr(0, name.find("/sessions/")));
  absl::StatusOr<catalogue::Course> course =
      suite_->GetCourse(course_name, call);
  if (!course.ok()) return Failure(course.status());
  absl::StatusOr<std::vector<booking::Availability>> availability =
      suite_->Availability({name}, call);
  if (!availability.ok()) return Failure(availability.status());
  const booking::Availability& places = availability->front();

  const absl::TimeZone zone = ZoneOrLondon(session->time_zone());
  Params rows = Params::array();
  rows.push_back(
      {{"key", {{"text", "Date and time"}}},
       {"value",
        {{"text",
          FormatSessionTime(
              absl::FromUnixSeconds(session->start_time().seconds()),
              absl::FromUnixSeconds(session->end_time().seconds()), zone)}}}});
  if (session->delivery_mode() == catalogue::ONLINE) {
    rows.push_back({{"key", {{"text", "Where"}}},
                    {"value",
                     {{"text",
                       "Online. You will get the joining link by "
                       "email before the session."}}}});
  } else {
    absl::StatusOr<catalogue::Venue> venue =
        suite_->GetVenue(session->venue(), call);
    if (!venue.ok()) return Failure(venue.status());
    std::vector<std::string> address = {venue->display_name()};
    address.insert(address.end(), venue->address_lines().begin(),
                   venue->address_lines().end());
    address.push_back(venue->locality());
    address.push_back(venue->postcode());
    rows.push_back({{"key", {{"text", "Where"}}},
                    {"value", {{"html", EscapedLines(address)}}}});
    if (!venue->accessibility_notes().empty()) {
      rows.push_back({{"key", {{"text", "Getting there and access"}}},
                      {"value",
                       {{"html", EscapedLines(absl::StrSplit(
                                     venue->accessibility_notes(), '\n'))}}}});
    }
  }
  std::vector<std::string> trainers;
  for (const std::string& trainer : session->trainers()) {
    absl::StatusOr<catalogue::Trainer> t = suite_->GetTrainer(trainer, call);
    if (t.ok()) trainers.push_back(t->display_name());
  }
  if (!trainers.empty()) {
    rows.push_back(
        {{"key", {{"text", trainers.size() == 1 ? "Trainer" : "Trainers"}}},
         {"value", {{"text", absl::StrJoin(trainers, ", ")}}}});
  }
  const bool full = places.remaining() <= 0;
  rows.push_back(
      {{"key", {{"text", "Places"}}},
       {"value",
        {{"text",
          full ? absl::StrCat("Fully booked. ", PeopleWaiting(places.waiting()),
                              " for a place.")
               : PlacesLeft(places.remaining())}}}});

  mustache::data data;
  const std::string title =
      session->title().empty() ? course->title() : session->title();
  data.set("title", title);
  if (!session->title().empty()) data.set("caption", course->title());
  data.set("facts", SummaryList({{"rows", rows}}));
  if (session->state() == catalogue::Session::CANCELLED) {
    data.set("status_banner",
             NotificationBanner(
                 {{"text", absl::StrCat("This session has been cancelled. ",
                                        session->cancellation_reason())}}));
  } else if (places.bookable()) {
    data.set("action",
             Button({{"text", full ? "Join the waiting list" : "Book a place"},
                     {"href", absl::StrCat("/", name, "/book")},
                     {"isStartButton", true}}));
  } else {
    data.set("action", InsetText({{"text",
                                   "Booking is closed for this session. "
                                   "Choose another date from the list of "
                                   "courses and dates."}}));
  }
  if (!course->article().empty()) {
    absl::StatusOr<content::Article> article =
        suite_->GetArticle(course->article(), call);
    // The description is a help, not a need: a page without it still books.
    if (article.ok()) data.set("description_html", article->body_html());
  }
  mustache::list paragraphs;
  for (absl::string_view p :
       absl::StrSplit(course->summary(), "\n\n", absl::SkipWhitespace())) {
    paragraphs.push_back(mustache::data(std::string(p)));
  }
  data.set("summary_paragraphs", paragraphs);
  return renderer_->Page(
      {.title = title,
       .content = renderer_->Body("session", data),
       .before_content =
           BackLink({{"href", "/"}, {"text", "All courses and dates"}})});
}

}  // namespace training::gateway::web

// GET /courses/{course}/sessions/{session}: what the session is, when and
// where, who runs it, places left, and the way to book.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gateway/web/components/components.h"
#include "gateway/web/display_format.h"
#include "gateway/web/page_parts.h"
#include "gateway/web/web_http.h"
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

Params Row(const char* key, Params value) {
  return {{"key", {{"text", key}}}, {"value", std::move(value)}};
}

// Where: online, or the venue's address and its access notes.
absl::StatusOr<Params> WhereRows(SuiteClient& suite,
                                 const catalogue::Session& session,
                                 const PageCall& call) {
  Params rows = Params::array();
  if (session.delivery_mode() == catalogue::ONLINE) {
    rows.push_back(Row("Where", {{"text",
                                  "Online. You will get the joining "
                                  "link by email before the "
                                  "session."}}));
    return rows;
  }
  absl::StatusOr<catalogue::Venue> venue =
      suite.GetVenue(session.venue(), call);
  if (!venue.ok()) return venue.status();
  std::vector<std::string> address = {venue->display_name()};
  address.insert(address.end(), venue->address_lines().begin(),
                 venue->address_lines().end());
  address.push_back(venue->locality());
  address.push_back(venue->postcode());
  rows.push_back(Row("Where", {{"html", EscapedLines(address)}}));
  if (!venue->accessibility_notes().empty()) {
    rows.push_back(Row("Getting there and access",
                       {{"html", EscapedLines(absl::StrSplit(
                                     venue->accessibility_notes(), '\n'))}}));
  }
  return rows;
}

// The trainers' names; one that cannot be read is left out (the page is
// still worth showing).
std::vector<std::string> TrainerNames(SuiteClient& suite,
                                      const catalogue::Session& session,
                                      const PageCall& call) {
  std::vector<std::string> names;
  for (const std::string& trainer : session.trainers()) {
    absl::StatusOr<catalogue::Trainer> t = suite.GetTrainer(trainer, call);
    if (t.ok()) names.push_back(t->display_name());
  }
  return names;
}

// The banner or button under the facts.
void Action(const std::string& name, const catalogue::Session& session,
            const booking::Availability& places, mustache::data& data) {
  if (session.state() == catalogue::Session::CANCELLED) {
    data.set("status_banner",
             NotificationBanner(
                 {{"text", absl::StrCat("This session has been cancelled. ",
                                        session.cancellation_reason())}}));
  } else if (places.bookable()) {
    data.set("action",
             Button({{"text", places.remaining() <= 0 ? "Join the waiting list"
                                                      : "Book a place"},
                     {"href", absl::StrCat("/", name, "/book")},
                     {"isStartButton", true}}));
  } else {
    data.set("action", InsetText({{"text",
                                   "Booking is closed for this session. "
                                   "Choose another date from the list of "
                                   "courses and dates."}}));
  }
}

}  // namespace

http::HttpResponse WebPages::Session(const std::string& name,
                                     const http::HttpRequest& request,
                                     const PageCall& call) const {
  absl::StatusOr<catalogue::Session> session = suite_->GetSession(name, call);
  if (!session.ok()) return Failure(session.status());
  absl::StatusOr<catalogue::Course> course =
      suite_->GetCourse(name.substr(0, name.find("/sessions/")), call);
  if (!course.ok()) return Failure(course.status());
  absl::StatusOr<std::vector<booking::Availability>> availability =
      suite_->Availability({name}, call);
  if (!availability.ok()) return Failure(availability.status());
  const booking::Availability& places = availability->front();
  absl::StatusOr<Params> where = WhereRows(*suite_, *session, call);
  if (!where.ok()) return Failure(where.status());

  Params rows =
      Params::array({Row("Date and time", {{"text", SessionWhen(*session)}})});
  rows.insert(rows.end(), where->begin(), where->end());
  const std::vector<std::string> trainers =
      TrainerNames(*suite_, *session, call);
  if (!trainers.empty()) {
    rows.push_back(Row(trainers.size() == 1 ? "Trainer" : "Trainers",
                       {{"text", absl::StrJoin(trainers, ", ")}}));
  }
  rows.push_back(Row(
      "Places", {{"text", places.remaining() <= 0
                              ? absl::StrCat("Fully booked. ",
                                             PeopleWaiting(places.waiting()),
                                             " for a place.")
                              : PlacesLeft(places.remaining())}}));
  mustache::data data;
  const std::string title = SessionTitle(*session);
  data.set("title", title);
  if (!session->title().empty()) data.set("caption", course->title());
  data.set("facts", SummaryList({{"rows", rows}}));
  data.set("contact_url", "/contact?session=" + UrlEncode(name));
  Action(name, *session, places, data);
  if (!course->article().empty()) {
    absl::StatusOr<content::Article> article =
        suite_->GetArticle(course->article(), call);
    // The description is a help, not a need: a page without it still books.
    if (article.ok()) data.set("description_html", article->body_html());
  }
  // The course's learning material, with what the visitor's booking opens
  // (each article's page says who the rest is for).
  content::ListArticlesRequest list;
  list.set_course(course->name());
  list.set_page_size(20);
  absl::StatusOr<content::ListArticlesResponse> reading =
      ListAsVisitor(list, request, call);
  if (reading.ok()) {
    mustache::list items;
    for (const content::Article& a : reading->articles()) {
      if (a.name() == course->article()) continue;  // shown above
      mustache::data item;
      item.set("url", ArticlePagePath(a.name()));
      item.set("title", a.title());
      items.push_back(item);
    }
    data.set("reading", items);
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

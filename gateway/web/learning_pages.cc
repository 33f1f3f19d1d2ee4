// The learning material: the list with search and filters, and an
// article's page. Restricted articles (for people booked on a course, or
// who attended it) open for a visitor holding a manage cookie of a booking
// that gives access; otherwise their page says who they are for.

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "common/text/booking_names.h"
#include "common/text/text.h"
#include "gateway/web/components/components.h"
#include "gateway/web/page_parts.h"
#include "gateway/web/web_http.h"
#include "gateway/web/web_pages.h"

namespace training::gateway::web {
namespace {

constexpr int kArticlesPerPage = 10;
constexpr size_t kMaxHeldBookings = 5;

const std::vector<std::pair<std::string, std::string>>& KindChoices() {
  static const auto* kinds =
      new std::vector<std::pair<std::string, std::string>>{
          {"principle", "Principle"},       {"guide", "Guide"},
          {"faq", "Questions and answers"}, {"course_description", "Course"},
          {"trainer_profile", "Trainer"},   {"page", "Page"}};
  return *kinds;
}

std::string KindLabel(content::Article::Kind kind) {
  const std::string name =
      absl::AsciiStrToLower(content::Article::Kind_Name(kind));
  for (const auto& [value, label] : KindChoices()) {
    if (value == name) return label;
  }
  return "Page";
}

std::string AudienceTag(const content::Article& a) {
  if (a.audience() == content::Article::BOOKED) {
    return Tag({{"text", "For people booked on the course"},
                {"classes", "govuk-tag--blue"}});
  }
  if (a.audience() == content::Article::ATTENDED) {
    return Tag({{"text", "For people who came to the course"},
                {"classes", "govuk-tag--purple"}});
  }
  return "";
}

// A search snippet: plain text whose matched words the content service
// wraps in [ and ]; escaped first, then marked.
std::string MarkedSnippet(const std::string& snippet) {
  return absl::StrReplaceAll(Escape(snippet),
                             {{"[", "<mark>"}, {"]", "</mark>"}});
}

std::string Get(const std::map<std::string, std::string>& query,
                const char* name) {
  auto it = query.find(name);
  return it == query.end()
             ? std::string()
             : std::string(absl::StripAsciiWhitespace(it->second));
}

bool IsRestricted(const absl::Status& status) {
  return absl::IsPermissionDenied(status) || absl::IsUnauthenticated(status);
}

}  // namespace

std::vector<std::string> WebPages::HeldReferences(
    const http::HttpRequest& request) const {
  const std::string prefix = options_.cookies.Name("manage_");
  const std::string marker = options_.cookies.Name("manage_seen_");
  std::vector<std::string> references;
  for (const auto& [header, value] : request.headers) {
    if (header != "cookie") continue;
    for (absl::string_view part : absl::StrSplit(value, ';')) {
      part = absl::StripAsciiWhitespace(part);
      if (!absl::StartsWith(part, prefix) || absl::StartsWith(part, marker)) {
        continue;
      }
      const absl::string_view name = part.substr(0, part.find('='));
      const std::optional<std::string> reference = text::BookingReferenceOf(
          absl::StrCat("bookings/", name.substr(prefix.size())));
      if (!reference || *reference != name.substr(prefix.size()) ||
          ManageToken(*reference, request).empty() ||
          std::find(references.begin(), references.end(), *reference) !=
              references.end()) {
        continue;
      }
      references.push_back(*reference);
      // Each is a call to booking: a browser holds a handful at most.
      if (references.size() == kMaxHeldBookings) return references;
    }
  }
  return references;
}

http::HttpResponse WebPages::Article(const std::string& id,
                                     const http::HttpRequest& request,
                                     const PageCall& call) const {
  content::GetArticleRequest get;
  get.set_name("articles/" + id);
  absl::StatusOr<content::Article> article = suite_->GetArticle(get, call);
  // Who the article is for, from the anonymous answer (a holder's refusal
  // may not say).
  const std::optional<ErrorInfo> restriction = GetErrorInfo(article.status());
  // A restricted article: try each booking the visitor holds.
  for (const std::string& reference : HeldReferences(request)) {
    if (!IsRestricted(article.status())) break;
    const std::optional<PageCall> holder = AsHolder(reference, request, call);
    get.set_booking("bookings/" + reference);
    article = suite_->GetArticle(get, *holder);
  }
  if (IsRestricted(article.status())) {
    const std::optional<ErrorInfo> info = GetErrorInfo(article.status());
    const bool attended = info && info->metadata.count("audience") &&
                          info->metadata.at("audience") == "ATTENDED";
    mustache::data data;
    data.set("heading", attended ? "This reading is for people who came to "
                                   "the course"
                                 : "This reading is for people booked on the "
                                   "course");
    data.set("text", attended
                         ? "It opens once the trainer has recorded that you "
                           "attended."
                         : "It opens for anyone with a confirmed place.");
    return renderer_->Page(
        {.title = attended ? "This reading is for people who came to the "
                             "course"
                           : "This reading is for people booked on the course",
         .content = renderer_->Body("article_restricted", data),
         .before_content =
             BackLink({{"href", "/learning"}, {"text", "Learning material"}}),
         .status = 403});
  }
  if (!article.ok()) return Failure(article.status());
  mustache::data data;
  data.set("kind", KindLabel(article->kind()));
  data.set("title", article->title());
  data.set("summary", article->summary());
  data.set("audience_tag", AudienceTag(*article));
  data.set("body_html", article->body_html());
  return renderer_->Page(
      {.title = article->title(),
       .content = renderer_->Body("article", data),
       .before_content =
           BackLink({{"href", "/learning"}, {"text", "Learning material"}})});
}

http::HttpResponse WebPages::Learning(const http::HttpRequest& request,
                                      const PageCall& call) const {
  std::optional<std::map<std::string, std::string>> query =
      DecodeForm(request.Query());
  if (!query) return NotFound();
  const std::string q = Get(*query, "q");
  const std::string kind = Get(*query, "kind");
  const std::string course = Get(*query, "course");
  const std::string page = Get(*query, "page");
  content::Article::Kind kind_value = content::Article::KIND_UNSPECIFIED;
  content::Article::Kind_Parse(absl::AsciiStrToUpper(kind), &kind_value);
  std::vector<FormError> errors;
  if (q.size() > 200) {
    errors.push_back({"q", "Search words must be 200 characters or fewer"});
  }
  if (!course.empty() && !text::IsValidSlug(course)) {
    errors.push_back({"course", "Select a course from the list"});
  }
  // The first booking the visitor holds opens what it gives in the lists.
  const std::vector<std::string> held = HeldReferences(request);
  PageCall as = call;
  std::string booking;
  if (!held.empty()) {
    as = *AsHolder(held.front(), request, call);
    booking = "bookings/" + held.front();
  }
  mustache::list rows;
  std::string next;
  if (errors.empty() && !q.empty()) {
    content::SearchArticlesRequest search;
    search.set_query(q);
    search.set_kind(kind_value);
    search.set_course(course.empty() ? "" : "courses/" + course);
    search.set_page_size(kArticlesPerPage);
    search.set_page_token(page);
    search.set_booking(booking);
    absl::StatusOr<content::SearchArticlesResponse> found =
        suite_->SearchArticles(search, as);
    if (IsRestricted(found.status())) {
      search.clear_booking();
      found = suite_->SearchArticles(search, call);
    }
    if (absl::IsInvalidArgument(found.status()) && !page.empty()) {
      // A page token from an old link: the first page of the same search.
      return SeeOther(absl::StrCat("/learning?q=", UrlEncode(q),
                                   "&kind=", UrlEncode(kind),
                                   "&course=", UrlEncode(course)));
    }
    if (absl::IsInvalidArgument(found.status())) {
      errors.push_back({"q", "Enter words to search for"});
    } else if (!found.ok()) {
      return Failure(found.status());
    } else {
      for (const content::SearchResult& r : found->results()) {
        mustache::data row;
        row.set("url", "/learning/" + r.article().name().substr(9));
        row.set("title", r.article().title());
        row.set("text", MarkedSnippet(r.snippet()));
        row.set("tags", AudienceTag(r.article()));
        rows.push_back(row);
      }
      next = found->next_page_token();
    }
  } else if (errors.empty()) {
    content::ListArticlesRequest list;
    list.set_kind(kind_value);
    list.set_course(course.empty() ? "" : "courses/" + course);
    list.set_page_size(kArticlesPerPage);
    list.set_page_token(page);
    list.set_booking(booking);
    absl::StatusOr<content::ListArticlesResponse> listed =
        suite_->ListArticles(list, as);
    if (IsRestricted(listed.status())) {
      list.clear_booking();
      listed = suite_->ListArticles(list, call);
    }
    if (absl::IsInvalidArgument(listed.status()) && !page.empty()) {
      return SeeOther(absl::StrCat("/learning?kind=", UrlEncode(kind),
                                   "&course=", UrlEncode(course)));
    }
    if (!listed.ok()) return Failure(listed.status());
    for (const content::Article& a : listed->articles()) {
      mustache::data row;
      row.set("url", "/learning/" + a.name().substr(9));
      row.set("title", a.title());
      row.set("text", Escape(a.summary()));
      row.set("tags", AudienceTag(a));
      rows.push_back(row);
    }
    next = listed->next_page_token();
  }
  mustache::data data;
  data.set("error_summary", ErrorSummaryFor(errors));
  data.set("query_input",
           Input({{"id", "q"},
                  {"name", "q"},
                  {"type", "search"},
                  {"value", q},
                  {"label", {{"text", "Search the learning material"}}},
                  {"errorMessage", ErrorMessageFor(errors, "q")}}));
  Params kinds = Params::array({{{"value", ""}, {"text", "Any kind"}}});
  for (const auto& [value, label] : KindChoices()) {
    kinds.push_back({{"value", value}, {"text", label}});
  }
  data.set("kind_select", Select({{"id", "kind"},
                                  {"name", "kind"},
                                  {"value", kind},
                                  {"label", {{"text", "Kind"}}},
                                  {"items", kinds}}));
  Params courses = Params::array({{{"value", ""}, {"text", "Any course"}}});
  catalogue::ListCoursesRequest list_courses;
  list_courses.set_page_size(200);
  absl::StatusOr<catalogue::ListCoursesResponse> published =
      suite_->ListCourses(list_courses, call);
  if (!published.ok()) return Failure(published.status());
  for (const catalogue::Course& c : published->courses()) {
    courses.push_back({{"value", c.name().substr(c.name().find('/') + 1)},
                       {"text", c.title()}});
  }
  data.set("course_select",
           Select({{"id", "course"},
                   {"name", "course"},
                   {"value", course},
                   {"label", {{"text", "Course"}}},
                   {"items", courses},
                   {"errorMessage", ErrorMessageFor(errors, "course")}}));
  data.set("search_button", Button({{"text", "Search"}}));
  data.set("articles", rows);
  data.set("result_heading", q.empty() ? "Everything" : "Results");
  if (!next.empty()) {
    std::vector<std::string> parts;
    if (!q.empty()) parts.push_back("q=" + UrlEncode(q));
    if (!kind.empty()) parts.push_back("kind=" + UrlEncode(kind));
    if (!course.empty()) parts.push_back("course=" + UrlEncode(course));
    parts.push_back("page=" + UrlEncode(next));
    data.set(
        "pagination",
        Pagination(
            {{"next", {{"href", "/learning?" + absl::StrJoin(parts, "&")}}}}));
  }
  return renderer_->Page({.title = "Learning material",
                          .content = renderer_->Body("learning", data),
                          .has_errors = !errors.empty()});
}

}  // namespace training::gateway::web

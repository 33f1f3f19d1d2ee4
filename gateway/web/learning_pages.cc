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
#include "gateway/web/keyset_paging.h"
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

bool IsRestricted(const absl::Status& status) {
  return absl::IsPermissionDenied(status) || absl::IsUnauthenticated(status);
}

// What the learning list asks: search words, filters and the page.
struct LearningQuery {
  std::string q;
  std::string kind;    // a KindChoices value, or ""
  std::string course;  // a course's id, or ""
  content::Article::Kind kind_value = content::Article::KIND_UNSPECIFIED;
  PagePosition at;
  std::vector<FormError> errors;
};

LearningQuery LearningQueryFrom(
    const std::map<std::string, std::string>& query) {
  LearningQuery q;
  q.q = TrimmedFormValue(query, "q");
  q.kind = TrimmedFormValue(query, "kind");
  q.course = TrimmedFormValue(query, "course");
  q.at = PagePositionFrom(query);
  content::Article::Kind_Parse(absl::AsciiStrToUpper(q.kind), &q.kind_value);
  if (text::Utf8Length(q.q) > 200) {
    q.errors.push_back({"q", "Search words must be 200 characters or fewer"});
  }
  if (!q.course.empty() && !text::IsValidSlug(q.course)) {
    q.errors.push_back({"course", "Select a course from the list"});
  }
  return q;
}

std::vector<std::string> FilterParts(const LearningQuery& q) {
  std::vector<std::string> parts;
  if (!q.q.empty()) parts.push_back("q=" + UrlEncode(q.q));
  if (!q.kind.empty()) parts.push_back("kind=" + UrlEncode(q.kind));
  if (!q.course.empty()) parts.push_back("course=" + UrlEncode(q.course));
  return parts;
}

// Whether a holder's call is to be asked again anonymously: the booking
// opens nothing (any more), or the page token came from an anonymous page
// (a token is bound to the booking it was listed for).
bool NotForHolder(const absl::Status& status, const LearningQuery& q) {
  return IsRestricted(status) ||
         (absl::IsInvalidArgument(status) && !q.at.page.empty());
}

struct ArticleRows {
  mustache::list rows;
  std::string next;  // the next page's token
};

// One page of the search, or of the list when there are no words: as the
// holder of `booking` (when set), and anonymously when that booking opens
// nothing.
absl::StatusOr<ArticleRows> FindArticles(SuiteClient& suite,
                                         const LearningQuery& q,
                                         const std::string& booking,
                                         const PageCall& holder,
                                         const PageCall& anonymous) {
  ArticleRows out;
  const std::string course = q.course.empty() ? "" : "courses/" + q.course;
  auto row = [&](const content::Article& a, const std::string& text) {
    mustache::data row;
    row.set("url", ArticlePagePath(a.name()));
    row.set("title", a.title());
    row.set("text", text);
    row.set("tags", AudienceTag(a));
    out.rows.push_back(row);
  };
  if (!q.q.empty()) {
    content::SearchArticlesRequest search;
    search.set_query(q.q);
    search.set_kind(q.kind_value);
    search.set_course(course);
    search.set_page_size(kArticlesPerPage);
    search.set_page_token(q.at.page);
    search.set_booking(booking);
    absl::StatusOr<content::SearchArticlesResponse> found =
        suite.SearchArticles(search, holder);
    if (!booking.empty() && NotForHolder(found.status(), q)) {
      search.clear_booking();
      found = suite.SearchArticles(search, anonymous);
    }
    if (!found.ok()) return found.status();
    for (const content::SearchResult& r : found->results()) {
      row(r.article(), MarkedSnippet(r.snippet()));
    }
    out.next = found->next_page_token();
    return out;
  }
  content::ListArticlesRequest list;
  list.set_kind(q.kind_value);
  list.set_course(course);
  list.set_page_size(kArticlesPerPage);
  list.set_page_token(q.at.page);
  list.set_booking(booking);
  absl::StatusOr<content::ListArticlesResponse> listed =
      suite.ListArticles(list, holder);
  if (!booking.empty() && NotForHolder(listed.status(), q)) {
    list.clear_booking();
    listed = suite.ListArticles(list, anonymous);
  }
  if (!listed.ok()) return listed.status();
  for (const content::Article& a : listed->articles()) {
    row(a, Escape(a.summary()));
  }
  out.next = listed->next_page_token();
  return out;
}

// The search box and the filters, as they were asked.
void SearchForm(const LearningQuery& q,
                const catalogue::ListCoursesResponse& published,
                mustache::data& data) {
  data.set("error_summary", ErrorSummaryFor(q.errors));
  data.set("query_input",
           Input({{"id", "q"},
                  {"name", "q"},
                  {"type", "search"},
                  {"value", q.q},
                  {"label", {{"text", "Search the learning material"}}},
                  {"errorMessage", ErrorMessageFor(q.errors, "q")}}));
  Params kinds = Params::array({{{"value", ""}, {"text", "Any kind"}}});
  for (const auto& [value, label] : KindChoices()) {
    kinds.push_back({{"value", value}, {"text", label}});
  }
  data.set("kind_select", Select({{"id", "kind"},
                                  {"name", "kind"},
                                  {"value", q.kind},
                                  {"label", {{"text", "Kind"}}},
                                  {"items", kinds}}));
  Params courses = Params::array({{{"value", ""}, {"text", "Any course"}}});
  for (const catalogue::Course& c : published.courses()) {
    courses.push_back({{"value", c.name().substr(c.name().find('/') + 1)},
                       {"text", c.title()}});
  }
  data.set("course_select",
           Select({{"id", "course"},
                   {"name", "course"},
                   {"value", q.course},
                   {"label", {{"text", "Course"}}},
                   {"items", courses},
                   {"errorMessage", ErrorMessageFor(q.errors, "course")}}));
  data.set("search_button", Button({{"text", "Search"}}));
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

absl::StatusOr<content::ListArticlesResponse> WebPages::ListAsVisitor(
    content::ListArticlesRequest list, const http::HttpRequest& request,
    const PageCall& call) const {
  const std::vector<std::string> held = HeldReferences(request);
  if (!held.empty()) {
    list.set_booking("bookings/" + held.front());
    absl::StatusOr<content::ListArticlesResponse> listed =
        suite_->ListArticles(list, *AsHolder(held.front(), request, call));
    if (!IsRestricted(listed.status())) return listed;
    list.clear_booking();
  }
  return suite_->ListArticles(list, call);
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
  const std::vector<std::string> held = HeldReferences(request);
  for (const std::string& reference : held) {
    if (!IsRestricted(article.status())) break;
    const std::optional<PageCall> holder = AsHolder(reference, request, call);
    get.set_booking("bookings/" + reference);
    article = suite_->GetArticle(get, *holder);
  }
  if (IsRestricted(article.status())) {
    const std::optional<ErrorInfo> info =
        restriction ? restriction : GetErrorInfo(article.status());
    const bool attended = info && info->metadata.count("audience") &&
                          info->metadata.at("audience") == "ATTENDED";
    const std::string heading =
        attended ? "This reading is for people who came to the course"
                 : "This reading is for people booked on the course";
    mustache::data data;
    data.set("holds_booking", !held.empty());
    data.set("attended", attended);
    data.set("heading", heading);
    data.set("text", attended
                         ? "It opens once the trainer has recorded that you "
                           "attended."
                         : "It opens for anyone with a confirmed place.");
    return renderer_->Page(
        {.title = heading,
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
  std::optional<std::map<std::string, std::string>> decoded =
      DecodeForm(request.Query());
  if (!decoded) return NotFound();
  LearningQuery query = LearningQueryFrom(*decoded);
  // The first booking the visitor holds opens what it gives in the lists.
  const std::vector<std::string> held = HeldReferences(request);
  const std::optional<PageCall> holder =
      held.empty() ? std::nullopt : AsHolder(held.front(), request, call);
  const std::string booking = held.empty() ? "" : "bookings/" + held.front();
  absl::StatusOr<ArticleRows> found;
  if (query.errors.empty()) {
    found = FindArticles(*suite_, query, booking, holder.value_or(call), call);
  }
  if (absl::IsInvalidArgument(found.status()) && !query.at.page.empty()) {
    // A page token from an old link: the first page of the same search.
    return SeeOther(FirstPageLink("/learning", FilterParts(query)));
  }
  if (absl::IsInvalidArgument(found.status())) {
    // The content service's rules: a word of letters or digits, at most
    // 20 of them.
    bool too_many = false;
    for (const FieldViolation& v : GetFieldViolations(found.status())) {
      too_many = too_many || absl::StartsWith(v.description, "must be at most");
    }
    query.errors.push_back(
        {"q", too_many ? "Search for 20 words or fewer"
                       : "Enter words to search for, like empathy"});
  } else if (query.errors.empty() && !found.ok()) {
    return Failure(found.status());
  }
  catalogue::ListCoursesRequest list_courses;
  list_courses.set_page_size(200);
  absl::StatusOr<catalogue::ListCoursesResponse> courses =
      suite_->ListCourses(list_courses, call);
  if (!courses.ok()) return Failure(courses.status());
  mustache::data data;
  SearchForm(query, *courses, data);
  const ArticleRows rows = found.ok() ? *std::move(found) : ArticleRows{};
  data.set("articles", rows.rows);
  data.set("result_heading", query.q.empty() ? "Everything" : "Results");
  data.set("has_errors", !query.errors.empty());
  data.set("pagination", KeysetPagination("/learning", FilterParts(query),
                                          query.at, rows.next));
  return renderer_->Page({.title = "Learning material",
                          .content = renderer_->Body("learning", data),
                          .has_errors = !query.errors.empty()});
}

}  // namespace training::gateway::web

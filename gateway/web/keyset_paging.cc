#include "gateway/web/keyset_paging.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gateway/web/components/components.h"
#include "gateway/web/web_http.h"

namespace training::gateway::web {
namespace {

// How many earlier pages a link remembers.
constexpr size_t kMaxTrail = 20;

std::string PageLink(const std::string& path,
                     const std::vector<std::string>& filters,
                     const PagePosition& to) {
  std::vector<std::string> parts = filters;
  if (!to.page.empty()) parts.push_back("page=" + UrlEncode(to.page));
  if (!to.trail.empty()) {
    parts.push_back("trail=" + UrlEncode(absl::StrJoin(to.trail, "~")));
  }
  return parts.empty() ? path
                       : absl::StrCat(path, "?", absl::StrJoin(parts, "&"));
}

}  // namespace

std::string FirstPageLink(const std::string& path,
                          const std::vector<std::string>& filters) {
  return PageLink(path, filters, {});
}

PagePosition PagePositionFrom(const std::map<std::string, std::string>& query) {
  PagePosition at;
  at.page = TrimmedFormValue(query, "page");
  for (absl::string_view t : absl::StrSplit(TrimmedFormValue(query, "trail"),
                                            '~', absl::SkipEmpty())) {
    at.trail.emplace_back(t);
  }
  if (at.trail.size() > kMaxTrail) {
    at.trail.erase(at.trail.begin(), at.trail.end() - kMaxTrail);
  }
  return at;
}

std::string KeysetPagination(const std::string& path,
                             const std::vector<std::string>& filters,
                             const PagePosition& at,
                             const std::string& next_token) {
  Params pagination = Params::object();
  if (!at.page.empty()) {
    PagePosition previous{.trail = at.trail};
    if (!previous.trail.empty()) {
      previous.page = previous.trail.back();
      previous.trail.pop_back();
    }
    pagination["previous"] = {{"href", PageLink(path, filters, previous)}};
  }
  if (!next_token.empty()) {
    PagePosition next{.page = next_token, .trail = at.trail};
    if (!at.page.empty()) next.trail.push_back(at.page);
    if (next.trail.size() > kMaxTrail) next.trail.erase(next.trail.begin());
    pagination["next"] = {{"href", PageLink(path, filters, next)}};
  }
  return pagination.empty() ? "" : Pagination(pagination);
}

}  // namespace training::gateway::web

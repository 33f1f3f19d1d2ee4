#ifndef TRAINING_GATEWAY_WEB_KEYSET_PAGING_H_
#define TRAINING_GATEWAY_WEB_KEYSET_PAGING_H_

// Previous and Next over a service's page tokens. A token leads forward
// only, so each link carries the trail of the tokens of the pages before
// it (the last few; past that, Previous ends at the first page).

#include <map>
#include <string>
#include <vector>

namespace training::gateway::web {

struct PagePosition {
  std::string page{};                // this page's token; "" for the first
  std::vector<std::string> trail{};  // the tokens of the pages before
};

// The position a query names (`page` and `trail`).
PagePosition PagePositionFrom(const std::map<std::string, std::string>& query);

// The link to the first page of the same results (for a stale token).
std::string FirstPageLink(const std::string& path,
                          const std::vector<std::string>& filters);

// The design system's pagination for the page after `at` (when
// `next_token` is set) and before it; "" on a lone first page. `path` and
// `filters` ("q=…" parts, already encoded) make each link.
std::string KeysetPagination(const std::string& path,
                             const std::vector<std::string>& filters,
                             const PagePosition& at,
                             const std::string& next_token);

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_KEYSET_PAGING_H_

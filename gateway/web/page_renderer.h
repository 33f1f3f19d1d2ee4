#ifndef TRAINING_GATEWAY_WEB_PAGE_RENDERER_H_
#define TRAINING_GATEWAY_WEB_PAGE_RENDERER_H_

// Turns a page's content into the whole HTML page: the Mustache templates
// (gateway/web/templates, embedded in the binary) for the layout and the
// prose pages, GOV.UK Frontend's components for the header, footer and
// skip link, and the site's names. Thread-safe: templates are parsed once
// at Create, checked there, and each render parses its own copy (the
// library's render is not const).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/http/http_server.h"
#include "gateway/web/static_assets.h"
#include "kainjow/mustache.hpp"

namespace training::gateway::web {

namespace mustache = kainjow::mustache;

struct SiteOptions {
  // In the header and the pages' prose.
  std::string site_name = "Northshire Safeguarding Children Partnership";
  // In every title and the service bar.
  std::string service_name = "Safeguarding training";
  // Where questions and accessibility requests go.
  std::string contact_email = "training@localhost";
};

// One page to render.
struct PageView {
  std::string title{};           // the h1's words, for <title>
  std::string content{};         // HTML inside <main>
  std::string before_content{};  // HTML above <main> (a back link)
  bool has_errors = false;       // prefixes the title with "Error: "
  int status = 200;
};

class PageRenderer {
 public:
  // INVALID_ARGUMENT naming the template when one does not parse.
  static absl::StatusOr<std::unique_ptr<PageRenderer>> Create(
      SiteOptions site, const StaticAssets* assets);

  // The named template (without .mustache) with `data`; the site's names
  // (site_name, service_name, contact_email) are added to it. "" for an
  // unknown name (a programming error, caught by the tests).
  std::string Body(absl::string_view name, mustache::data data) const;

  // The page: HTML, UTF-8, never cached (pages may carry personal data and
  // places left changes by the second).
  http::HttpResponse Page(const PageView& view) const;

  // The page for a template of prose with the site's names.
  http::HttpResponse ProsePage(absl::string_view name, absl::string_view title,
                               int status = 200) const;

  const SiteOptions& site() const { return site_; }

 private:
  PageRenderer(SiteOptions site, const StaticAssets* assets);

  SiteOptions site_;
  const StaticAssets* assets_;
  std::string header_;
  std::string footer_;
  std::string skip_link_;
};

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_PAGE_RENDERER_H_

#include "gateway/web/page_renderer.h"

#include "absl/strings/str_cat.h"
#include "gateway/web/components/components.h"
#include "gateway/web/embedded_templates.h"

namespace training::gateway::web {
namespace {

void AddSite(const SiteOptions& site, mustache::data& data) {
  data.set("site_name", site.site_name);
  data.set("service_name", site.service_name);
  data.set("contact_email", site.contact_email);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PageRenderer>> PageRenderer::Create(
    SiteOptions site, const StaticAssets* assets) {
  for (const auto& [name, text] : EmbeddedTemplates()) {
    mustache::mustache parsed(text);
    if (!parsed.is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "template ", name, ".mustache: ", parsed.error_message()));
    }
  }
  return std::unique_ptr<PageRenderer>(
      new PageRenderer(std::move(site), assets));
}

PageRenderer::PageRenderer(SiteOptions site, const StaticAssets* assets)
    : site_(std::move(site)), assets_(assets) {
  header_ = GenericHeader({{"logoText", site_.site_name}});
  skip_link_ =
      SkipLink({{"href", "#main-content"}, {"text", "Skip to main content"}});
  // Not GOV.UK: no crown, no Open Government Licence, the partnership's
  // own copyright.
  footer_ = Footer(
      {{"meta",
        {{"items",
          Params::array({{{"href", "/accessibility"},
                          {"text", "Accessibility statement"}},
                         {{"href", "/privacy"}, {"text", "Privacy notice"}},
                         {{"href", "/cookies"}, {"text", "Cookies"}}})}}},
       {"contentLicence", nullptr},
       {"copyright",
        {{"text", absl::StrCat("© ", site_.site_name)}, {"href", "/"}}}});
}

std::string PageRenderer::Body(absl::string_view name,
                               mustache::data data) const {
  auto it = EmbeddedTemplates().find(std::string(name));
  if (it == EmbeddedTemplates().end()) return "";
  AddSite(site_, data);
  mustache::mustache parsed(it->second);
  return parsed.render(data);
}

http::HttpResponse PageRenderer::Page(const PageView& view) const {
  mustache::data data;
  data.set("title", view.title);
  data.set("has_errors", view.has_errors);
  data.set("css_url", assets_->Url("app.css"));
  data.set("script_url", assets_->Url("init.mjs"));
  data.set("skip_link", skip_link_);
  data.set("header", header_);
  data.set("footer", footer_);
  data.set("before_content", view.before_content);
  data.set("content", view.content);
  http::HttpResponse response;
  response.status = view.status;
  response.content_type = "text/html; charset=utf-8";
  response.body = Body("layout", std::move(data));
  return response;
}

http::HttpResponse PageRenderer::ProsePage(absl::string_view name,
                                           absl::string_view title,
                                           int status) const {
  return Page({.title = std::string(title),
               .content = Body(name, mustache::data()),
               .status = status});
}

}  // namespace training::gateway::web

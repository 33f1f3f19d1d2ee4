// The page components: links, header and footer, tags, text blocks,
// panel, banner, error summary, summary list and pagination, after the
// package's templates.

#include "absl/strings/str_cat.h"
#include "gateway/web/components/components.h"

namespace training::gateway::web {
namespace {

const Params& Items(const Params& params) {
  static const Params* const kEmpty = new Params(Params::array());
  const Params& items = Get(params, "items");
  return items.is_array() ? items : *kEmpty;
}

std::string Heading(const Params& params, absl::string_view key, int fallback) {
  return Has(params, key) ? Escape(Str(params, key)) : absl::StrCat(fallback);
}

std::string ActionLink(const Params& action) {
  std::string out = absl::StrCat(
      "<a class=\"govuk-link", ClassesSuffix(action), "\" href=\"",
      Escape(Str(action, "href")), "\"", Attributes(Get(action, "attributes")),
      ">",
      Has(action, "html") ? Str(action, "html") : Escape(Str(action, "text")));
  if (Has(action, "visuallyHiddenText")) {
    absl::StrAppend(&out, "<span class=\"govuk-visually-hidden\"> ",
                    Escape(Str(action, "visuallyHiddenText")), "</span>");
  }
  return out + "</a>";
}

std::string PaginationArrow(bool previous) {
  return previous
             ? "<svg class=\"govuk-pagination__icon "
               "govuk-pagination__icon--prev\" "
               "xmlns=\"http://www.w3.org/2000/svg\" height=\"13\" "
               "width=\"15\" "
               "aria-hidden=\"true\" focusable=\"false\" viewBox=\"0 0 15 "
               "13\"><path d=\"m6.5938-0.0078125-6.7266 6.7266 6.7441 6.4062 "
               "1.377-1.449-4.1856-3.9768h12.896v-2h-12.984l4.2931-4.293-1.414-"
               "1.414z\"></path></svg>"
             : "<svg class=\"govuk-pagination__icon "
               "govuk-pagination__icon--next\" "
               "xmlns=\"http://www.w3.org/2000/svg\" height=\"13\" "
               "width=\"15\" "
               "aria-hidden=\"true\" focusable=\"false\" viewBox=\"0 0 15 "
               "13\"><path d=\"m8.107-0.0078125-1.4136 1.414 4.2926 "
               "4.293h-12.986v2h12.896l-4.1855 3.9766 1.377 1.4492 "
               "6.7441-6.4062-6.7246-6.7266z\"></path></svg>";
}

std::string PaginationLink(const Params& link, bool previous, bool block) {
  const char* type = previous ? "prev" : "next";
  std::string title =
      Has(link, "html") || Has(link, "text")
          ? HtmlOr(link)
          : absl::StrCat(previous ? "Previous" : "Next",
                         "<span class=\"govuk-visually-hidden\"> page</span>");
  std::string out =
      absl::StrCat("<div class=\"govuk-pagination__", type,
                   "\"><a class=\"govuk-link govuk-pagination__link\" href=\"",
                   Escape(Str(link, "href")), "\" rel=\"", type, "\"",
                   Attributes(Get(link, "attributes")), ">",
                   block || previous ? PaginationArrow(previous) : "",
                   "<span class=\"govuk-pagination__link-title",
                   block && !Has(link, "labelText")
                       ? " govuk-pagination__link-title--decorated"
                       : "",
                   "\">", title, "</span>");
  if (Has(link, "labelText") && block) {
    absl::StrAppend(&out,
                    "<span class=\"govuk-visually-hidden\">:</span><span "
                    "class=\"govuk-pagination__link-label\">",
                    Escape(Str(link, "labelText")), "</span>");
  }
  if (!block && !previous) out += PaginationArrow(false);
  return out + "</a></div>";
}

// The footer's navigation sections, with the break after them.
std::string FooterNavigation(const Params& navigation) {
  std::string out;
  if (navigation.is_array() && !navigation.empty()) {
    out += "<div class=\"govuk-footer__navigation\">";
    for (const Params& nav : navigation) {
      absl::StrAppend(&out,
                      "<div class=\"govuk-footer__section govuk-grid-column-",
                      Has(nav, "width") ? Escape(Str(nav, "width")) : "full",
                      "\"><h2 class=\"govuk-footer__heading govuk-heading-m\">",
                      Escape(Str(nav, "title")), "</h2>");
      if (!Items(nav).empty()) {
        absl::StrAppend(&out, "<ul class=\"govuk-footer__list",
                        Has(nav, "columns")
                            ? absl::StrCat(" govuk-footer__list--columns-",
                                           Escape(Str(nav, "columns")))
                            : "",
                        "\">");
        for (const Params& item : Items(nav)) {
          if (!Has(item, "href") || !Has(item, "text")) continue;
          absl::StrAppend(&out,
                          "<li class=\"govuk-footer__list-item\"><a "
                          "class=\"govuk-footer__link\" href=\"",
                          Escape(Str(item, "href")), "\"",
                          Attributes(Get(item, "attributes")), ">",
                          Escape(Str(item, "text")), "</a></li>");
        }
        out += "</ul>";
      }
      out += "</div>";
    }
    out += "</div><hr class=\"govuk-footer__section-break\">";
  }
  return out;
}

// The footer's support links and custom meta text.
std::string FooterMeta(const Params& meta) {
  std::string out;
  if (Truthy(meta)) {
    absl::StrAppend(&out, "<h2 class=\"govuk-visually-hidden\">",
                    Has(meta, "visuallyHiddenTitle")
                        ? Escape(Str(meta, "visuallyHiddenTitle"))
                        : "Support links",
                    "</h2>");
    if (!Items(meta).empty()) {
      out += "<ul class=\"govuk-footer__inline-list\">";
      for (const Params& item : Items(meta)) {
        absl::StrAppend(&out,
                        "<li class=\"govuk-footer__inline-list-item\"><a "
                        "class=\"govuk-footer__link\" href=\"",
                        Escape(Str(item, "href")), "\"",
                        Attributes(Get(item, "attributes")), ">",
                        Escape(Str(item, "text")), "</a></li>");
      }
      out += "</ul>";
    }
    if (Has(meta, "text") || Has(meta, "html")) {
      absl::StrAppend(&out, "<div class=\"govuk-footer__meta-custom\">",
                      HtmlOr(meta), "</div>");
    }
  }
  return out;
}

}  // namespace

std::string SkipLink(const Params& params) {
  return absl::StrCat(
      "<a href=\"",
      Has(params, "href") ? Escape(Str(params, "href")) : "#content",
      "\" class=\"govuk-skip-link", ClassesSuffix(params), "\"",
      Attributes(Get(params, "attributes")),
      " data-module=\"govuk-skip-link\">",
      Has(params, "html") ? Str(params, "html") : Escape(Str(params, "text")),
      "</a>");
}

std::string BackLink(const Params& params) {
  return absl::StrCat("<a href=\"",
                      Has(params, "href") ? Escape(Str(params, "href")) : "#",
                      "\" class=\"govuk-back-link", ClassesSuffix(params), "\"",
                      Attributes(Get(params, "attributes")), ">",
                      Has(params, "html")   ? Str(params, "html")
                      : Has(params, "text") ? Escape(Str(params, "text"))
                                            : "Back",
                      "</a>");
}

std::string GenericHeader(const Params& params) {
  return absl::StrCat(
      "<div class=\"govuk-generic-header", ClassesSuffix(params), "\"",
      Attributes(Get(params, "attributes")),
      "><div class=\"govuk-generic-header__container ",
      Has(params, "containerClasses") ? Escape(Str(params, "containerClasses"))
                                      : "govuk-width-container",
      "\"><div class=\"govuk-generic-header__logo\"><a href=\"",
      Has(params, "url") ? Escape(Str(params, "url")) : "/",
      "\" class=\"govuk-generic-header__homepage-link\">",
      Has(params, "logoHtml") ? Str(params, "logoHtml")
                              : Escape(Str(params, "logoText")),
      "</a></div></div></div>");
}

std::string Footer(const Params& params) {
  std::string out =
      absl::StrCat("<div class=\"govuk-footer", ClassesSuffix(params), "\"",
                   Attributes(Get(params, "attributes")),
                   "><div class=\"govuk-width-container",
                   ClassesSuffix(params, "containerClasses"), "\">");
  out += FooterNavigation(Get(params, "navigation"));
  out +=
      "<div class=\"govuk-footer__meta\"><div class=\"govuk-footer__meta-item "
      "govuk-footer__meta-item--grow\">";
  out += FooterMeta(Get(params, "meta"));
  // The Open Government Licence is GOV.UK's: its logo is never drawn, and
  // its words only when the caller leaves contentLicence out.
  const Params& licence = Get(params, "contentLicence");
  if (!(params.is_object() && params.contains("contentLicence") &&
        licence.is_null())) {
    out += "<span class=\"govuk-footer__licence-description\">";
    if (Has(licence, "html") || Has(licence, "text")) {
      out += HtmlOr(licence);
    } else {
      out +=
          "All content is available under the <a class=\"govuk-footer__link\" "
          "href=\"https://www.nationalarchives.gov.uk/doc/"
          "open-government-licence/version/3/\" rel=\"license\">Open "
          "Government Licence v3.0</a>, except where otherwise stated";
    }
    out += "</span>";
  }
  const Params& copyright = Get(params, "copyright");
  absl::StrAppend(
      &out,
      "</div><div class=\"govuk-footer__meta-item\"><a "
      "class=\"govuk-footer__link "
      "govuk-footer__copyright-logo\" href=\"",
      Has(copyright, "href")
          ? Escape(Str(copyright, "href"))
          : "https://www.nationalarchives.gov.uk/information-management/"
            "re-using-public-sector-information/"
            "uk-government-licensing-framework/crown-copyright/",
      "\">",
      Has(copyright, "html") || Has(copyright, "text") ? HtmlOr(copyright)
                                                       : "© Crown copyright",
      "</a></div></div></div></div>");
  return out;
}

std::string Tag(const Params& params) {
  return absl::StrCat("<strong class=\"govuk-tag", ClassesSuffix(params), "\"",
                      Attributes(Get(params, "attributes")), ">",
                      HtmlOr(params), "</strong>");
}

std::string InsetText(const Params& params) {
  return absl::StrCat(
      "<div",
      Has(params, "id")
          ? absl::StrCat(" id=\"", Escape(Str(params, "id")), "\"")
          : "",
      " class=\"govuk-inset-text", ClassesSuffix(params), "\"",
      Attributes(Get(params, "attributes")), ">", HtmlOr(params), "</div>");
}

std::string WarningText(const Params& params) {
  return absl::StrCat(
      "<div class=\"govuk-warning-text", ClassesSuffix(params), "\"",
      Attributes(Get(params, "attributes")),
      "><span class=\"govuk-warning-text__icon\" "
      "aria-hidden=\"true\">!</span><strong "
      "class=\"govuk-warning-text__text\"><span "
      "class=\"govuk-visually-hidden\">",
      Has(params, "iconFallbackText") ? Escape(Str(params, "iconFallbackText"))
                                      : "Warning",
      "</span>",
      Has(params, "html") ? Str(params, "html") : Escape(Str(params, "text")),
      "</strong></div>");
}

std::string Panel(const Params& params) {
  const std::string level = Heading(params, "headingLevel", 1);
  std::string out = absl::StrCat(
      "<div class=\"govuk-panel govuk-panel--confirmation",
      ClassesSuffix(params), "\"", Attributes(Get(params, "attributes")), "><h",
      level, " class=\"govuk-panel__title\">",
      Has(params, "titleHtml") ? Str(params, "titleHtml")
                               : Escape(Str(params, "titleText")),
      "</h", level, ">");
  if (Has(params, "html") || Has(params, "text")) {
    absl::StrAppend(&out, "<div class=\"govuk-panel__body\">", HtmlOr(params),
                    "</div>");
  }
  return out + "</div>";
}

std::string NotificationBanner(const Params& params) {
  const bool success = Str(params, "type") == "success";
  const std::string role = Has(params, "role") ? Str(params, "role")
                           : success           ? "alert"
                                               : "region";
  const std::string title_id = Has(params, "titleId")
                                   ? Str(params, "titleId")
                                   : "govuk-notification-banner-title";
  const std::string title = Has(params, "titleHtml") ? Str(params, "titleHtml")
                            : Has(params, "titleText")
                                ? Escape(Str(params, "titleText"))
                            : success ? "Success"
                                      : "Important";
  const std::string level = Heading(params, "titleHeadingLevel", 2);
  const Params& auto_focus = Get(params, "disableAutoFocus");
  std::string out =
      absl::StrCat("<div class=\"govuk-notification-banner",
                   success ? " govuk-notification-banner--success" : "",
                   ClassesSuffix(params), "\" role=\"", Escape(role),
                   "\" aria-labelledby=\"", Escape(title_id),
                   "\" data-module=\"govuk-notification-banner\"",
                   auto_focus.is_null()
                       ? ""
                       : absl::StrCat(" data-disable-auto-focus=\"",
                                      Str(params, "disableAutoFocus"), "\""),
                   Attributes(Get(params, "attributes")),
                   "><div class=\"govuk-notification-banner__header\"><h",
                   level, " class=\"govuk-notification-banner__title\" id=\"",
                   Escape(title_id), "\">", title, "</h", level,
                   "></div><div class=\"govuk-notification-banner__content\">");
  if (Has(params, "html")) {
    out += HtmlOr(params);
  } else if (Has(params, "text")) {
    absl::StrAppend(&out, "<p class=\"govuk-notification-banner__heading\">",
                    HtmlOr(params), "</p>");
  }
  return out + "</div></div>";
}

std::string ErrorSummary(const Params& params) {
  const Params& auto_focus = Get(params, "disableAutoFocus");
  std::string out = absl::StrCat(
      "<div class=\"govuk-error-summary", ClassesSuffix(params), "\"",
      auto_focus.is_null()
          ? ""
          : absl::StrCat(" data-disable-auto-focus=\"",
                         Str(params, "disableAutoFocus"), "\""),
      Attributes(Get(params, "attributes")),
      " data-module=\"govuk-error-summary\"><div role=\"alert\"><h2 "
      "class=\"govuk-error-summary__title\">",
      HtmlOr(params, "titleHtml", "titleText"),
      "</h2><div class=\"govuk-error-summary__body\">");
  if (Has(params, "descriptionHtml") || Has(params, "descriptionText")) {
    absl::StrAppend(&out, "<p>",
                    HtmlOr(params, "descriptionHtml", "descriptionText"),
                    "</p>");
  }
  const Params& errors = Get(params, "errorList");
  if (errors.is_array() && !errors.empty()) {
    out += "<ul class=\"govuk-list govuk-error-summary__list\">";
    for (const Params& item : errors) {
      out += "<li>";
      if (Has(item, "href")) {
        absl::StrAppend(&out, "<a href=\"", Escape(Str(item, "href")), "\"",
                        Attributes(Get(item, "attributes")), ">", HtmlOr(item),
                        "</a>");
      } else {
        out += HtmlOr(item);
      }
      out += "</li>";
    }
    out += "</ul>";
  }
  return out + "</div></div></div>";
}

std::string SummaryList(const Params& params) {
  const Params& rows = Get(params, "rows");
  const Params& no_rows = Params::array();
  bool any_actions = false;
  for (const Params& row : rows.is_array() ? rows : no_rows) {
    any_actions = any_actions || !Items(Get(row, "actions")).empty();
  }
  std::string out =
      absl::StrCat("<dl class=\"govuk-summary-list", ClassesSuffix(params),
                   "\"", Attributes(Get(params, "attributes")), ">");
  for (const Params& row : rows.is_array() ? rows : no_rows) {
    if (!Truthy(row)) continue;
    const Params& actions = Get(row, "actions");
    const Params& key = Get(row, "key");
    const Params& value = Get(row, "value");
    absl::StrAppend(&out, "<div class=\"govuk-summary-list__row",
                    any_actions && !Has(actions, "items")
                        ? " govuk-summary-list__row--no-actions"
                        : "",
                    ClassesSuffix(row),
                    "\"><dt class=\"govuk-summary-list__key",
                    ClassesSuffix(key), "\">", HtmlOr(key),
                    "</dt><dd class=\"govuk-summary-list__value",
                    ClassesSuffix(value), "\">", HtmlOr(value), "</dd>");
    const Params& items = Items(actions);
    if (!items.empty()) {
      absl::StrAppend(&out, "<dd class=\"govuk-summary-list__actions",
                      ClassesSuffix(actions), "\">");
      if (items.size() == 1) {
        out += ActionLink(items[0]);
      } else {
        out += "<ul class=\"govuk-summary-list__actions-list\">";
        for (const Params& action : items) {
          absl::StrAppend(
              &out, "<li class=\"govuk-summary-list__actions-list-item\">",
              ActionLink(action), "</li>");
        }
        out += "</ul>";
      }
      out += "</dd>";
    }
    out += "</div>";
  }
  return out + "</dl>";
}

std::string Pagination(const Params& params) {
  const Params& previous = Get(params, "previous");
  const Params& next = Get(params, "next");
  const bool block =
      !Has(params, "items") && (Truthy(previous) || Truthy(next));
  std::string out = absl::StrCat(
      "<nav class=\"govuk-pagination", block ? " govuk-pagination--block" : "",
      ClassesSuffix(params), "\" aria-label=\"",
      Has(params, "landmarkLabel") ? Escape(Str(params, "landmarkLabel"))
                                   : "Pagination",
      "\"", Attributes(Get(params, "attributes")), ">");
  if (Has(previous, "href")) out += PaginationLink(previous, true, block);
  if (Has(params, "items")) {
    out += "<ul class=\"govuk-pagination__list\">";
    for (const Params& item : Items(params)) {
      if (!item.is_object() || item.empty()) continue;
      const bool current = Has(item, "current");
      absl::StrAppend(
          &out, "<li class=\"govuk-pagination__item",
          current ? " govuk-pagination__item--current" : "",
          Has(item, "ellipsis") ? " govuk-pagination__item--ellipsis" : "",
          "\">");
      if (Has(item, "ellipsis")) {
        out += "&ctdot;";
      } else {
        absl::StrAppend(
            &out, "<a class=\"govuk-link govuk-pagination__link\" href=\"",
            Escape(Str(item, "href")), "\" aria-label=\"",
            Has(item, "visuallyHiddenText")
                ? Escape(Str(item, "visuallyHiddenText"))
                : absl::StrCat("Page ", Escape(Str(item, "number"))),
            "\"", current ? " aria-current=\"page\"" : "",
            Attributes(Get(item, "attributes")), ">",
            Escape(Str(item, "number")), "</a>");
      }
      out += "</li>";
    }
    out += "</ul>";
  }
  if (Has(next, "href")) out += PaginationLink(next, false, block);
  return out + "</nav>";
}

}  // namespace training::gateway::web

// Our components against GOV.UK Frontend's own fixtures: each case renders
// the fixture's options and compares with the fixture's HTML (from the
// package's Nunjucks templates) after whitespace normalisation.

#include "gateway/web/components/components.h"

#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace training::gateway::web {
namespace {

// Whitespace runs become one space, and none is kept beside a tag: the
// templates' indentation is not part of what they mean.
std::string Normalise(std::string html) {
  html = std::regex_replace(html, std::regex(R"(\s+)"), " ");
  html = std::regex_replace(html, std::regex(R"(\s*<\s*)"), "<");
  html = std::regex_replace(html, std::regex(R"(\s*>\s*)"), ">");
  html = std::regex_replace(html, std::regex(R"(\s*/>)"), "/>");
  return html;
}

// The crown and the Open Government Licence logo are GOV.UK's own marks,
// which a service outside GOV.UK must not show: our footer leaves them out.
std::string WithoutGovUkMarks(std::string html) {
  for (const char* mark :
       {"govuk-footer__crown", "govuk-footer__licence-logo"}) {
    const std::regex svg(std::string(R"(<svg(?:(?!</svg>)[\s\S])*)") + mark +
                         R"((?:(?!</svg>)[\s\S])*</svg>)");
    html = std::regex_replace(html, svg, "");
  }
  return html;
}

Params Fixtures(const std::string& component) {
  const std::string path =
      absl::StrCat(TRAINING_GOVUK_FRONTEND_DIR, "/dist/govuk/components/",
                   component, "/fixtures.json");
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return Params::parse(in, nullptr, /*allow_exceptions=*/false);
}

struct Case {
  std::string component;
  std::string fixture;
};

using Render = std::function<std::string(const Params&)>;

const std::map<std::string, Render>& Renderers() {
  static const auto* renderers = new std::map<std::string, Render>{
      {"label", Label},
      {"hint", Hint},
      {"error-message", ErrorMessage},
      {"fieldset", [](const Params& p) { return Fieldset(p); }},
      {"input", Input},
      {"textarea", Textarea},
      {"select", Select},
      {"radios", Radios},
      {"checkboxes", Checkboxes},
      {"button", Button},
      {"skip-link", SkipLink},
      {"back-link", BackLink},
      {"generic-header", GenericHeader},
      {"footer", Footer},
      {"tag", Tag},
      {"inset-text", InsetText},
      {"warning-text", WarningText},
      {"panel", Panel},
      {"notification-banner", NotificationBanner},
      {"error-summary", ErrorSummary},
      {"summary-list", SummaryList},
      {"pagination", Pagination},
  };
  return *renderers;
}

class ComponentFixtureTest : public ::testing::TestWithParam<Case> {};

TEST_P(ComponentFixtureTest, MatchesThePackagesMarkup) {
  const Case& c = GetParam();
  const Params fixtures = Fixtures(c.component);
  ASSERT_TRUE(fixtures.is_object()) << c.component;
  const Params* fixture = nullptr;
  for (const Params& f : fixtures["fixtures"]) {
    if (f["name"] == c.fixture) fixture = &f;
  }
  ASSERT_NE(fixture, nullptr)
      << c.component << " has no fixture '" << c.fixture << "'";
  const std::string expected =
      Normalise(WithoutGovUkMarks((*fixture)["html"].get<std::string>()));
  const std::string actual =
      Normalise(Renderers().at(c.component)((*fixture)["options"]));
  EXPECT_EQ(actual, expected);
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.component + "_" + info.param.fixture;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

// Every component the pages use, with the fixtures that show the options
// they pass.
INSTANTIATE_TEST_SUITE_P(
    Govuk, ComponentFixtureTest,
    ::testing::Values(
        Case{"label", "default"}, Case{"label", "as page heading l"},
        Case{"hint", "default"}, Case{"error-message", "default"},
        Case{"fieldset", "default"}, Case{"fieldset", "as page heading l"},
        Case{"input", "default"}, Case{"input", "with hint text"},
        Case{"input", "with error message"},
        Case{"input", "with error and hint"}, Case{"input", "custom type"},
        Case{"input", "with autocomplete attribute"},
        Case{"input", "with spellcheck disabled"}, Case{"input", "value"},
        Case{"input", "with width-20 class"}, Case{"textarea", "default"},
        Case{"textarea", "with hint"}, Case{"textarea", "with error message"},
        Case{"select", "default"}, Case{"select", "with selected value"},
        Case{"select", "with hint text and error message"},
        Case{"radios", "default"}, Case{"radios", "with hint"},
        Case{"radios", "inline"}, Case{"radios", "small"},
        Case{"radios", "prechecked using value"},
        Case{"radios", "with error message"},
        Case{"radios", "with fieldset and error message"},
        Case{"radios", "with conditional items"},
        Case{"radios", "with conditional item checked"},
        Case{"radios", "with hints on items"}, Case{"radios", "with a divider"},
        Case{"checkboxes", "default"}, Case{"checkboxes", "with hint"},
        Case{"checkboxes", "with error message"},
        Case{"checkboxes", "with hints on items"},
        Case{"checkboxes", "with conditional items"},
        Case{"checkboxes", "with pre-checked values"},
        Case{"button", "default"}, Case{"button", "start"},
        Case{"button", "start link"}, Case{"button", "prevent double click"},
        Case{"button", "attributes"}, Case{"button", "name"},
        Case{"button", "value"}, Case{"button", "id"}, Case{"button", "link"},
        Case{"button", "disabled"}, Case{"button", "secondary"},
        Case{"skip-link", "default"}, Case{"back-link", "default"},
        Case{"generic-header", "default"}, Case{"generic-header", "custom url"},
        Case{"footer", "default"},
        Case{"footer", "with meta links and meta content"},
        Case{"footer", "with navigation"}, Case{"tag", "default"},
        Case{"inset-text", "default"}, Case{"warning-text", "default"},
        Case{"panel", "default"}, Case{"notification-banner", "default"},
        Case{"notification-banner", "with type as success"},
        Case{"error-summary", "default"},
        Case{"error-summary", "with everything"},
        Case{"summary-list", "default"}, Case{"summary-list", "with actions"},
        Case{"pagination", "default"},
        Case{"pagination", "with prev and next only"},
        Case{"pagination", "first page"}),
    CaseName);

}  // namespace
}  // namespace training::gateway::web

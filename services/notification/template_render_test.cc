#include "services/notification/template_render.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::notification {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(TemplateRenderTest, PlaceholdersAreFilledIn) {
  auto text = RenderTemplate(
      "Dear ((first_name)), your place on ((course)) is confirmed.",
      {{"first_name", "Pat"}, {"course", "Introduction to MI"}},
      TemplateFormat::kPlainText);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "Dear Pat, your place on Introduction to MI is confirmed.");
}

TEST(TemplateRenderTest, ConditionalTextShowsOnYesOnly) {
  const char* text = "Booked.((access??We will call you about access.))";
  for (const char* yes : {"yes", "YES", "true"}) {
    EXPECT_EQ(
        *RenderTemplate(text, {{"access", yes}}, TemplateFormat::kPlainText),
        "Booked.We will call you about access.");
  }
  for (const char* no : {"no", "false", ""}) {
    EXPECT_EQ(
        *RenderTemplate(text, {{"access", no}}, TemplateFormat::kPlainText),
        "Booked.");
  }
  auto unclear =
      RenderTemplate(text, {{"access", "maybe"}}, TemplateFormat::kPlainText);
  EXPECT_EQ(unclear.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unclear.status().message(), HasSubstr("access"));
}

TEST(TemplateRenderTest, HtmlEscapesValuesNotTheTemplate) {
  auto html = RenderTemplate("<p>Dear ((name))</p>",
                             {{"name", "<script>alert('x')</script> & co"}},
                             TemplateFormat::kHtml);
  ASSERT_TRUE(html.ok());
  EXPECT_EQ(*html,
            "<p>Dear &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
            "co</p>");
}

TEST(TemplateRenderTest, AMissingValueIsNamed) {
  auto text =
      RenderTemplate("Hello ((first_name))", {}, TemplateFormat::kPlainText);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(text.status().message(), HasSubstr("((first_name))"));
}

TEST(TemplateRenderTest, MalformedPlaceholdersAreRefused) {
  for (const char* bad : {"Hello ((first_name", "Hello (())",
                          "Hello ((first name))", "((a-b))"}) {
    EXPECT_FALSE(PlaceholdersOf(bad).ok()) << bad;
    EXPECT_FALSE(RenderTemplate(bad, {}, TemplateFormat::kPlainText).ok());
  }
  // Single parentheses are text.
  EXPECT_EQ(*RenderTemplate("(see below)", {}, TemplateFormat::kPlainText),
            "(see below)");
}

TEST(TemplateRenderTest, UnknownPlaceholdersAreNamedWhenATemplateIsSaved) {
  auto names = PlaceholdersOf("((a)) ((b??x)) ((a))");
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ElementsAre("a", "b"));
  EXPECT_TRUE(CheckPlaceholders("((a)) ((b??x))", {"a", "b", "c"}).ok());
  absl::Status unknown = CheckPlaceholders("((a)) ((zz)) ((yy))", {"a"});
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(), HasSubstr("yy, zz"));
}

}  // namespace
}  // namespace training::notification

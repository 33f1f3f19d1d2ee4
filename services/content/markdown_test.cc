// Markdown rendering: GitHub-flavoured features render, and a corpus of
// script-injection payloads never reaches the output as markup.

#include "services/content/markdown.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace training::content {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MarkdownTest, RendersHeadingsListsLinksTablesAndCode) {
  const RenderedMarkdown r = RenderMarkdown(
      "# Express empathy\n\n"
      "## In practice\n\n"
      "- listen\n- reflect\n\n"
      "1. ask\n2. wait\n\n"
      "See [MINT](https://motivationalinterviewing.org) or "
      "[write](mailto:training@example.org).\n\n"
      "| Principle | In practice |\n|---|---|\n| Empathy | *Listen* |\n\n"
      "Use `reflect()` here.\n\n"
      "```\ncode block\n```\n\n"
      "~~old~~ and www.example.org\n");
  EXPECT_THAT(r.html, HasSubstr("<h1>Express empathy</h1>"));
  EXPECT_THAT(r.html, HasSubstr("<h2>In practice</h2>"));
  EXPECT_THAT(r.html, HasSubstr("<ul>\n<li>listen</li>"));
  EXPECT_THAT(r.html, HasSubstr("<ol>\n<li>ask</li>"));
  EXPECT_THAT(r.html,
              HasSubstr("<a href=\"https://motivationalinterviewing.org\">"
                        "MINT</a>"));
  EXPECT_THAT(r.html,
              HasSubstr("<a href=\"mailto:training@example.org\">write</a>"));
  EXPECT_THAT(r.html, HasSubstr("<table>"));
  EXPECT_THAT(r.html, HasSubstr("<th>Principle</th>"));
  EXPECT_THAT(r.html, HasSubstr("<td><em>Listen</em></td>"));
  EXPECT_THAT(r.html, HasSubstr("<code>reflect()</code>"));
  EXPECT_THAT(r.html, HasSubstr("<pre><code>code block\n</code></pre>"));
  EXPECT_THAT(r.html, HasSubstr("<del>old</del>"));
  EXPECT_THAT(r.html,
              HasSubstr("<a href=\"http://www.example.org\">www.example.org"));
  // The plain text keeps the words and none of the markup.
  EXPECT_THAT(r.plain_text, HasSubstr("Express empathy"));
  EXPECT_THAT(r.plain_text, HasSubstr("Listen"));
  EXPECT_THAT(r.plain_text, HasSubstr("code block"));
  EXPECT_THAT(r.plain_text, Not(HasSubstr("#")));
  EXPECT_THAT(r.plain_text, Not(HasSubstr("|")));
  EXPECT_THAT(r.plain_text, Not(HasSubstr("https://")));
}

// Every payload must come out without an element or attribute that runs
// script or loads from a dangerous URL.
const std::vector<std::string>& XssCorpus() {
  static const auto* const kCorpus = new std::vector<std::string>{
      "<script>alert(1)</script>",
      "text <script>alert(1)</script> text",
      "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
      "<img src=x onerror=alert(1)>",
      "inline <img src=x onerror=alert(1)> image",
      "<svg onload=alert(1)>",
      "<iframe src=\"javascript:alert(1)\"></iframe>",
      "<div onclick=\"alert(1)\">click</div>",
      "<a href=\"javascript:alert(1)\">x</a>",
      "[x](javascript:alert(1))",
      "[x](JaVaScRiPt:alert(1))",
      "[x](&#106;avascript:alert(1))",
      "[x](&#x6A;avascript&#58;alert(1))",
      "[x](java%0ascript:alert(1))",
      "[x](vbscript:msgbox(1))",
      "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
      "[x](file:///etc/passwd)",
      "![x](javascript:alert(1))",
      "![x](data:image/svg+xml,<svg onload=alert(1)>)",
      "[x]: javascript:alert(1)\n\n[x]",
      "<javascript:alert(1)>",
      "&lt;script&gt;alert(1)&lt;/script&gt;",
      "&#60;script&#62;alert(1)&#60;/script&#62;",
      "<style>body{background:url(javascript:alert(1))}</style>",
      "<!-- comment --><script>alert(1)</script>",
      "<p style=\"x:expression(alert(1))\">x</p>",
      "<object data=\"javascript:alert(1)\"></object>",
      "<form action=\"javascript:alert(1)\"><button>x</button></form>",
      "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
      "`<script>` in code is fine",
      "| a |\n|---|\n| <script>alert(1)</script> |",
      "[link](<javascript:alert(1)>)",
      "[a](https://ok.example \"<script>alert(1)</script>\")",
      // Nested: what is inside a refused image or link is fixed first.
      "![<b>x</b>](javascript:a)",
      "![![a](data:x)](javascript:b)",
      "![[a](javascript:x)](javascript:y)",
      "[<img src=x onerror=alert(1)>](javascript:y)",
      "[![a](javascript:x)](javascript:y)",
  };
  return *kCorpus;
}

// The markup in `html`: every tag must be one Markdown makes, with only
// the attributes Markdown gives, and every URL one an article may hold.
// Text that merely looks like markup is escaped (`&lt;`) and is no tag.
void ExpectOnlyMarkdownMarkup(const std::string& html) {
  static const auto* const kTags = new std::set<std::string>{
      "p",   "h1",         "h2",    "h3",    "h4", "h5",     "h6",
      "ul",  "ol",         "li",    "a",     "em", "strong", "code",
      "pre", "table",      "thead", "tbody", "tr", "th",     "td",
      "del", "blockquote", "hr",    "br",    "img"};
  static const auto* const kAttributes =
      new std::set<std::string>{"href", "src", "alt", "title", "align"};
  for (size_t open = html.find('<'); open != std::string::npos;
       open = html.find('<', open + 1)) {
    const size_t close = html.find('>', open);
    ASSERT_NE(close, std::string::npos) << html;
    std::string tag = html.substr(open + 1, close - open - 1);
    if (!tag.empty() && tag[0] == '/') tag.erase(0, 1);
    if (!tag.empty() && tag.back() == '/') tag.pop_back();
    const std::vector<std::string> parts =
        absl::StrSplit(tag, ' ', absl::SkipEmpty());
    ASSERT_FALSE(parts.empty()) << html;
    EXPECT_TRUE(kTags->count(absl::AsciiStrToLower(parts[0])))
        << "tag <" << parts[0] << "> in " << html;
    for (size_t i = 1; i < parts.size(); ++i) {
      const std::string name = parts[i].substr(0, parts[i].find('='));
      // A quoted title may hold spaces: only names before '=' count.
      if (parts[i].find('=') == std::string::npos) continue;
      EXPECT_TRUE(kAttributes->count(absl::AsciiStrToLower(name)))
          << "attribute " << name << " in " << html;
      if (name == "href" || name == "src") {
        std::string url = parts[i].substr(name.size() + 1);
        url.erase(std::remove(url.begin(), url.end(), '"'), url.end());
        EXPECT_TRUE(url.empty() || IsAllowedUrl(url))
            << "URL " << url << " in " << html;
      }
    }
  }
}

TEST(MarkdownTest, NoPayloadReachesTheOutputAsMarkup) {
  for (const std::string& payload : XssCorpus()) {
    SCOPED_TRACE(payload);
    const std::string html = RenderMarkdown(payload).html;
    ExpectOnlyMarkdownMarkup(html);
    EXPECT_THAT(absl::AsciiStrToLower(html), Not(HasSubstr("<script")));
  }
}

int CheckFailures(const std::string& html) {
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::
            INTERCEPT_ONLY_CURRENT_THREAD,
        &failures);
    ExpectOnlyMarkdownMarkup(html);
  }
  return failures.size();
}

TEST(MarkdownTest, TheCheckItselfCatchesMarkup) {
  // The checker must fail on real markup, or it proves nothing.
  EXPECT_GT(CheckFailures("<p><img alt=\"x\" onerror=alert(1)></p>"), 0);
  EXPECT_GT(CheckFailures("<a href=\"javascript:alert(1)\">x</a>"), 0);
  EXPECT_GT(CheckFailures("<script>alert(1)</script>"), 0);
  EXPECT_EQ(CheckFailures("<p>&lt;script&gt; <a href=\"https://x.org\">"
                          "x</a></p>"),
            0);
}

TEST(MarkdownTest, RawHtmlIsShownAsText) {
  const RenderedMarkdown r =
      RenderMarkdown("before <b>bold</b> after\n\n<div>block</div>\n");
  EXPECT_THAT(r.html, HasSubstr("before &lt;b&gt;bold&lt;/b&gt; after"));
  EXPECT_THAT(r.html, HasSubstr("<p>&lt;div&gt;block&lt;/div&gt;</p>"));
}

TEST(MarkdownTest, ARefusedLinkKeepsItsText) {
  const RenderedMarkdown r =
      RenderMarkdown("[read this](javascript:alert(1)) now");
  EXPECT_THAT(r.html, HasSubstr("<p>read this now</p>"));
  const RenderedMarkdown image = RenderMarkdown("![a diagram](data:x)");
  EXPECT_THAT(image.html, HasSubstr("<p>a diagram</p>"));
}

TEST(MarkdownTest, OnlyWebAndMailLinksAreAllowed) {
  EXPECT_TRUE(IsAllowedUrl("https://example.org/x"));
  EXPECT_TRUE(IsAllowedUrl("HTTP://example.org"));
  EXPECT_TRUE(IsAllowedUrl("mailto:team@example.org"));
  EXPECT_FALSE(IsAllowedUrl("javascript:alert(1)"));
  EXPECT_FALSE(IsAllowedUrl(" javascript:alert(1)"));
  EXPECT_FALSE(IsAllowedUrl("/relative"));
  EXPECT_FALSE(IsAllowedUrl("ftp://example.org"));
  EXPECT_FALSE(IsAllowedUrl(""));
}

}  // namespace
}  // namespace training::content

// The content rules alone: validation, revisions, etags, who may read what,
// and how a search query is cut into words, hostile queries included.

#include "services/content/article_rules.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "common/status/errors.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/content/search_query.h"

namespace training::content {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using ::training::testing::IsOk;
using ::training::testing::StatusIs;

v1::Article Valid() {
  v1::Article article;
  article.set_title("Express empathy");
  article.set_summary("Seeing the world through the parent's eyes.");
  article.set_body_markdown("# Express empathy\n\nListen first.");
  article.add_tags("principle");
  return article;
}

std::vector<std::string> Violated(const v1::Article& article) {
  std::vector<FieldViolation> out;
  ValidateArticle(article, "article", out);
  std::vector<std::string> fields;
  for (const FieldViolation& v : out) fields.push_back(v.field);
  return fields;
}

TEST(ArticleRulesTest, AValidArticleHasNoViolations) {
  v1::Article article = Valid();
  NormalizeArticle(article);
  EXPECT_EQ(article.kind(), v1::Article::PAGE);
  EXPECT_EQ(article.audience(), v1::Article::PUBLIC);
  EXPECT_THAT(Violated(article), IsEmpty());
}

TEST(ArticleRulesTest, EveryBadFieldIsNamed) {
  v1::Article article;
  article.set_title(std::string(201, 'x'));
  article.set_summary(std::string(1001, 'x'));
  article.add_tags("Bad Tag");
  article.add_tags("ok");
  article.add_tags("ok");
  article.add_courses("sessions/x");
  article.set_kind(static_cast<v1::Article::Kind>(99));
  EXPECT_THAT(Violated(article),
              UnorderedElementsAre("article.title", "article.summary",
                                   "article.body_markdown", "article.tags[0]",
                                   "article.tags[2]", "article.kind",
                                   "article.courses[0]"));
}

TEST(ArticleRulesTest, LimitsCountCharactersNotBytes) {
  v1::Article article = Valid();
  std::string title;
  for (int i = 0; i < 200; ++i) title += "é";
  article.set_title(title);
  EXPECT_THAT(Violated(article), IsEmpty());
  article.set_title(title + "é");
  EXPECT_THAT(Violated(article), ElementsAre("article.title"));
}

TEST(ArticleRulesTest, BodiesTheRendererIsSlowOnAreRefused) {
  v1::Article article = Valid();
  std::string brackets;
  for (size_t i = 0; i < kMaxBodyBrackets; ++i) brackets += "![";
  article.set_body_markdown(brackets);
  EXPECT_THAT(Violated(article), IsEmpty());
  article.set_body_markdown(brackets + "[");
  EXPECT_THAT(Violated(article), ElementsAre("article.body_markdown"));
  std::string row(kMaxPipesPerLine, '|');
  article.set_body_markdown(row + "\n" + row + "\n" + row);
  EXPECT_THAT(Violated(article), IsEmpty());
  article.set_body_markdown(row + "\n|" + row);
  EXPECT_THAT(Violated(article), ElementsAre("article.body_markdown"));
}

TEST(ArticleRulesTest, ARestrictedArticleNeedsACourse) {
  v1::Article article = Valid();
  article.set_audience(v1::Article::BOOKED);
  EXPECT_THAT(Violated(article), ElementsAre("article.courses"));
  article.add_courses("courses/intro-mi");
  EXPECT_THAT(Violated(article), IsEmpty());
}

TEST(ArticleRulesTest, NamesParse) {
  EXPECT_THAT(CheckArticleName("articles/express-empathy", "name"), IsOk());
  EXPECT_THAT(CheckArticleName("articles/X", "name"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckArticleName("courses/intro-mi", "name"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::optional<RevisionName> revision =
      ParseRevisionName("articles/express-empathy/revisions/12");
  ASSERT_TRUE(revision.has_value());
  EXPECT_EQ(revision->article, "articles/express-empathy");
  EXPECT_EQ(revision->revision, 12);
  EXPECT_FALSE(ParseRevisionName("articles/express-empathy/revisions/0"));
  EXPECT_FALSE(ParseRevisionName("articles/express-empathy/revisions/01"));
  EXPECT_FALSE(ParseRevisionName("articles/express-empathy/revisions/-1"));
  EXPECT_FALSE(ParseRevisionName(
      "articles/express-empathy/revisions/99999999999999999999"));
  EXPECT_FALSE(ParseRevisionName("articles/express-empathy/revisions/"));
}

TEST(ArticleRulesTest, OnlyTextChangesMakeARevision) {
  const v1::Article before = Valid();
  v1::Article after = before;
  after.add_tags("more");
  after.set_audience(v1::Article::BOOKED);
  EXPECT_FALSE(ChangesText(before, after));
  after.set_summary("Another summary.");
  EXPECT_TRUE(ChangesText(before, after));
}

TEST(ArticleRulesTest, AnyChangeChangesTheEtag) {
  v1::Article article = Valid();
  article.set_state(v1::Article::DRAFT);
  const std::string etag = ArticleEtag(article);
  EXPECT_EQ(etag, ArticleEtag(article));
  article.set_etag("ignored");
  EXPECT_EQ(etag, ArticleEtag(article));
  std::vector<v1::Article> changed(6, article);
  changed[0].add_tags("new-tag");
  changed[1].set_state(v1::Article::PUBLISHED);
  changed[2].set_body_html("<p>x</p>");
  changed[3].add_courses("courses/intro-mi");
  changed[4].set_audience(v1::Article::ATTENDED);
  changed[5].set_kind(v1::Article::FAQ);
  for (const v1::Article& c : changed) {
    EXPECT_NE(ArticleEtag(c), etag) << c.ShortDebugString();
  }
}

TEST(ArticleRulesTest, WhoMayRead) {
  v1::Article booked = Valid();
  booked.set_audience(v1::Article::BOOKED);
  booked.add_courses("courses/intro-mi");
  v1::Article attended = booked;
  attended.set_audience(v1::Article::ATTENDED);
  v1::Article open = Valid();

  const Reader anyone{};
  const Reader admin{.admin = true};
  const Reader confirmed{
      .booking = BookingFacts{.course = "courses/intro-mi", .confirmed = true}};
  const Reader came{.booking = BookingFacts{.course = "courses/intro-mi",
                                            .confirmed = true,
                                            .attended = true}};
  const Reader waiting{.booking = BookingFacts{.course = "courses/intro-mi"}};
  const Reader other_course{
      .booking = BookingFacts{
          .course = "courses/mi-skills", .confirmed = true, .attended = true}};

  EXPECT_TRUE(MayRead(anyone, open));
  EXPECT_FALSE(MayRead(anyone, booked));
  EXPECT_TRUE(MayRead(admin, booked));
  EXPECT_TRUE(MayRead(admin, attended));
  EXPECT_TRUE(MayRead(confirmed, booked));
  EXPECT_FALSE(MayRead(confirmed, attended));
  EXPECT_TRUE(MayRead(came, booked));
  EXPECT_TRUE(MayRead(came, attended));
  EXPECT_FALSE(MayRead(waiting, booked));
  EXPECT_FALSE(MayRead(other_course, booked));
  EXPECT_FALSE(MayRead(other_course, attended));
  EXPECT_THAT(AudiencesOpenedBy(*waiting.booking), IsEmpty());
  EXPECT_THAT(AudiencesOpenedBy(*came.booking),
              ElementsAre(v1::Article::BOOKED, v1::Article::ATTENDED));
}

TEST(SearchQueryTest, CutsIntoLowerCaseWordsWithoutStopWords) {
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> words,
                       ParseSearchQuery("What is Motivational Interviewing?"));
  EXPECT_THAT(words, ElementsAre("motivational", "interviewing"));
  EXPECT_EQ(Fts5MatchQuery(words), "\"motivational\" \"interviewing\"*");
  EXPECT_EQ(PostgresTsQuery(words), "'motivational' & 'interviewing':*");
  ASSERT_OK_AND_ASSIGN(words, ParseSearchQuery("café naïve—résumé"));
  EXPECT_THAT(words, ElementsAre("café", "naïve", "résumé"));
  ASSERT_OK_AND_ASSIGN(words, ParseSearchQuery("the and of"));
  EXPECT_THAT(words, IsEmpty());
}

TEST(SearchQueryTest, HostileQueriesGiveWordsOrInvalidArgument) {
  const std::vector<std::string> hostile = {
      "\"unbalanced",
      "empathy\" OR \"x",
      "NEAR(empathy resistance, 2)",
      "empathy AND NOT resistance",
      "title:empathy",
      "emp*",
      "*",
      "((empathy",
      "empathy)) --",
      "'; DROP TABLE articles; --",
      "empathy & !resistance | x:*",
      "{title}: empathy",
      "^empathy",
      "\\\"",
      "-empathy +resistance",
  };
  for (const std::string& query : hostile) {
    SCOPED_TRACE(query);
    absl::StatusOr<std::vector<std::string>> words = ParseSearchQuery(query);
    if (!words.ok()) {
      EXPECT_THAT(words, StatusIs(absl::StatusCode::kInvalidArgument));
      continue;
    }
    for (const std::string& word : *words) {
      for (char c : word) {
        EXPECT_TRUE(static_cast<unsigned char>(c) >= 0x80 ||
                    absl::ascii_isalnum(static_cast<unsigned char>(c)))
            << word;
      }
    }
  }
  EXPECT_THAT(ParseSearchQuery(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseSearchQuery("\"*()"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseSearchQuery(std::string(10000, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      ParseSearchQuery("a1 b2 c3 d4 e5 f6 g7 h8 i9 j10 k11 l12 m13 n14 o15 p16 "
                       "q17 r18 s19 t20 u21"),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace training::content

// The seed material: every article valid and safe to render, the topics
// the programme needs all there, and every demo course and trainer that
// names an article finding it.

#include "services/content/seed_articles.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/catalogue/demo_programme.h"
#include "services/content/article_rules.h"
#include "services/content/markdown.h"

namespace training::content {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;

std::map<std::string, v1::Article> SeedByName() {
  std::map<std::string, v1::Article> by_name;
  for (const v1::CreateArticleRequest& r : SeedArticles()) {
    v1::Article article = r.article();
    NormalizeArticle(article);
    by_name["articles/" + r.article_id()] = article;
  }
  return by_name;
}

TEST(SeedArticlesTest, EveryArticleIsValidAndRendersSafely) {
  std::set<std::string> ids;
  for (const v1::CreateArticleRequest& r : SeedArticles()) {
    SCOPED_TRACE(r.article_id());
    EXPECT_TRUE(ids.insert(r.article_id()).second) << "id used twice";
    EXPECT_TRUE(ArticleSlug("articles/" + r.article_id()).has_value());
    v1::Article article = r.article();
    NormalizeArticle(article);
    std::vector<FieldViolation> violations;
    ValidateArticle(article, "article", violations);
    EXPECT_THAT(violations, IsEmpty());
    const RenderedMarkdown rendered = RenderMarkdown(article.body_markdown());
    EXPECT_FALSE(absl::StrContains(rendered.html, "<script"));
    EXPECT_FALSE(rendered.plain_text.empty());
  }
}

TEST(SeedArticlesTest, CoversWhatTheProgrammeNeeds) {
  const std::map<std::string, v1::Article> seed = SeedByName();
  auto kinds = [&](v1::Article::Kind kind) {
    int n = 0;
    for (const auto& [name, a] : seed) n += a.kind() == kind;
    return n;
  };
  EXPECT_EQ(kinds(v1::Article::PRINCIPLE), 4);
  EXPECT_GE(kinds(v1::Article::TRAINER_PROFILE), 1);
  EXPECT_GE(kinds(v1::Article::FAQ), 1);
  const v1::Article& mi = seed.at("articles/what-is-motivational-interviewing");
  EXPECT_TRUE(absl::StrContains(mi.body_markdown(), "1983"));
  EXPECT_TRUE(absl::StrContains(mi.body_markdown(), "2,000"));
  const v1::Article& fs =
      seed.at("articles/family-safeguarding-key-principles");
  for (const char* item : {"1. ", "2. ", "3. ", "4. ", "5. "}) {
    EXPECT_TRUE(absl::StrContains(fs.body_markdown(), item)) << item;
  }
  for (const char* principle :
       {"express-empathy", "support-self-efficacy", "roll-with-resistance",
        "develop-discrepancy"}) {
    const v1::Article& a =
        seed.at(std::string("articles/principle-") + principle);
    EXPECT_TRUE(absl::StrContains(a.body_markdown(),
                                  "supports Family Safeguarding practice"))
        << principle;
  }
  int booked = 0;
  int attended = 0;
  for (const auto& [name, a] : seed) {
    booked += a.audience() == v1::Article::BOOKED;
    attended += a.audience() == v1::Article::ATTENDED;
  }
  EXPECT_GE(booked, 1);
  EXPECT_GE(attended, 1);
}

TEST(SeedArticlesTest, EveryDemoCourseAndTrainerFindsItsArticle) {
  const std::map<std::string, v1::Article> seed = SeedByName();
  const catalogue::DemoProgramme demo =
      catalogue::MakeDemoProgramme(absl::CivilDay(2027, 1, 4));
  ASSERT_FALSE(demo.courses.empty());
  for (const auto& r : demo.courses) {
    const std::string course = "courses/" + r.course_id();
    SCOPED_TRACE(course);
    auto it = seed.find(r.course().article());
    ASSERT_NE(it, seed.end()) << r.course().article();
    EXPECT_EQ(it->second.kind(), v1::Article::COURSE_DESCRIPTION);
    EXPECT_THAT(it->second.courses(), Contains(course));
    EXPECT_EQ(it->second.audience(), v1::Article::PUBLIC);
  }
  int profiles = 0;
  for (const auto& r : demo.trainers) {
    if (r.trainer().bio_article().empty()) continue;
    ++profiles;
    auto it = seed.find(r.trainer().bio_article());
    ASSERT_NE(it, seed.end()) << r.trainer().bio_article();
    EXPECT_EQ(it->second.kind(), v1::Article::TRAINER_PROFILE);
  }
  EXPECT_GE(profiles, 1);
  // Every course an article links to is a demo course.
  std::set<std::string> courses;
  for (const auto& r : demo.courses) courses.insert("courses/" + r.course_id());
  for (const auto& [name, a] : seed) {
    for (const std::string& course : a.courses()) {
      EXPECT_TRUE(courses.count(course)) << name << " links " << course;
    }
  }
}

}  // namespace
}  // namespace training::content

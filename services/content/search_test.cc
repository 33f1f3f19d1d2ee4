// Search on both engines: ranking (a title outranks a passing mention),
// stemming, prefixes, snippets, filters, paging, no results, and hostile
// queries that never reach the engine's query syntax.

#include <algorithm>

#include "common/text/text.h"
#include "services/content/content_test_fixture.h"
#include "services/content/store_search.h"

namespace training::content {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::training::testing::IsOk;
using ::training::testing::IsOkAndHolds;
using ::training::testing::StatusIs;

class SearchTest : public ContentTest {
 protected:
  void SetUp() override {
    ContentTest::SetUp();
    if (HasFatalFailure()) return;
    // A long body that mentions the word once, in passing, against a short
    // one with it in the title.
    std::string long_body;
    for (int i = 0; i < 40; ++i) {
      long_body += "Families are supported to stay together safely. ";
    }
    long_body += "Some teams also use reflective listening.";
    ASSERT_THAT(Published(NewArticle("family-safeguarding",
                                     "Family Safeguarding", long_body)),
                IsOk());
    ASSERT_THAT(
        Published(NewArticle("reflective-listening", "Reflective listening",
                             "Say back what you heard.")),
        IsOk());
    ASSERT_THAT(
        Published(NewArticle("what-is-mi", "What is Motivational Interviewing?",
                             "MI began in 1983, when a psychologist noticed "
                             "what changed when he changed the way he talked "
                             "with people about drinking.")),
        IsOk());
  }
};

TEST_P(SearchTest, ATitleMatchOutranksAPassingMention) {
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> found,
                       Found(anyone_, "reflective listening"));
  EXPECT_THAT(found, ElementsAre("articles/reflective-listening",
                                 "articles/family-safeguarding"));
  v1::SearchArticlesRequest r;
  r.set_query("listening");
  ASSERT_OK_AND_ASSIGN(v1::SearchArticlesResponse response,
                       reader_->SearchArticles(anyone_, r));
  ASSERT_EQ(response.results_size(), 2);
  EXPECT_GT(response.results(0).score(), response.results(1).score());
}

TEST_P(SearchTest, StemsWords) {
  // "interview" finds "Interviewing", "talking" finds "talked".
  EXPECT_THAT(Found(anyone_, "interview"),
              IsOkAndHolds(ElementsAre("articles/what-is-mi")));
  EXPECT_THAT(Found(anyone_, "talking psychologists"),
              IsOkAndHolds(ElementsAre("articles/what-is-mi")));
  EXPECT_THAT(Found(anyone_, "family supporting"),
              IsOkAndHolds(ElementsAre("articles/family-safeguarding")));
}

TEST_P(SearchTest, TheLastWordIsAPrefix) {
  EXPECT_THAT(Found(anyone_, "motiv"),
              IsOkAndHolds(ElementsAre("articles/what-is-mi")));
  EXPECT_THAT(Found(anyone_, "interv"),
              IsOkAndHolds(ElementsAre("articles/what-is-mi")));
  EXPECT_THAT(Found(anyone_, "safeg"),
              IsOkAndHolds(ElementsAre("articles/family-safeguarding")));
  // Only the last: every other word is whole.
  EXPECT_THAT(Found(anyone_, "interv motivational"), IsOkAndHolds(IsEmpty()));
}

TEST_P(SearchTest, EveryWordMustMatch) {
  EXPECT_THAT(Found(anyone_, "reflective drinking"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Found(anyone_, "nothing-like-this"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Found(anyone_, "the of and"), IsOkAndHolds(IsEmpty()));
}

TEST_P(SearchTest, SnippetsMarkTheMatchedWords) {
  v1::SearchArticlesRequest r;
  r.set_query("drinking");
  ASSERT_OK_AND_ASSIGN(v1::SearchArticlesResponse response,
                       reader_->SearchArticles(anyone_, r));
  ASSERT_EQ(response.results_size(), 1);
  EXPECT_THAT(response.results(0).snippet(), HasSubstr("[drinking]"));
  EXPECT_TRUE(response.results(0).article().body_markdown().empty());
  r.set_query("families");
  ASSERT_OK_AND_ASSIGN(response, reader_->SearchArticles(anyone_, r));
  ASSERT_EQ(response.results_size(), 1);
  EXPECT_THAT(response.results(0).snippet(), HasSubstr("[Famil"));
  EXPECT_LE(text::Utf8Length(response.results(0).snippet()), 300u);
}

TEST_P(SearchTest, SnippetsMarkATitleOnlyMatchAndOnlyMatches) {
  ASSERT_THAT(Published(NewArticle("boxes", "Workbook [draft] notes",
                                   "See [the form] and [x] here.")),
              IsOk());
  v1::SearchArticlesRequest r;
  r.set_query("workbook");
  ASSERT_OK_AND_ASSIGN(v1::SearchArticlesResponse response,
                       reader_->SearchArticles(anyone_, r));
  ASSERT_EQ(response.results_size(), 1);
  EXPECT_THAT(response.results(0).snippet(), HasSubstr("[Workbook]"));
  // Brackets in the text are no markers.
  EXPECT_EQ(response.results(0).snippet().find("[draft]"), std::string::npos);
  r.set_query("form");
  ASSERT_OK_AND_ASSIGN(response, reader_->SearchArticles(anyone_, r));
  ASSERT_EQ(response.results_size(), 1);
  EXPECT_THAT(response.results(0).snippet(), HasSubstr("[form]"));
  EXPECT_THAT(response.results(0).snippet(), HasSubstr("(x)"));
}

TEST_P(SearchTest, PagesThroughResults) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_THAT(
        Published(NewArticle(absl::StrCat("note-", i), absl::StrCat("Note ", i),
                             "Empathy in practice.")),
        IsOk());
  }
  v1::SearchArticlesRequest r;
  r.set_query("empathy");
  r.set_page_size(3);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    ASSERT_OK_AND_ASSIGN(v1::SearchArticlesResponse response,
                         reader_->SearchArticles(anyone_, r));
    for (const auto& result : response.results()) {
      seen.push_back(result.article().name());
    }
    if (response.next_page_token().empty()) break;
    r.set_page_token(response.next_page_token());
  }
  EXPECT_THAT(seen, SizeIs(7));
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
  // A token is for the query it came from.
  r.set_query("practice");
  EXPECT_THAT(reader_->SearchArticles(anyone_, r),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(SearchTest, HostileQueriesGiveResultsOrInvalidArgument) {
  std::vector<std::string> hostile = {
      "\"unbalanced",
      "listening\" OR \"x",
      "NEAR(reflective listening, 2)",
      "reflective AND NOT listening",
      "reflective OR",
      "title:reflective",
      "listen*",
      "*",
      "((reflective",
      "reflective)) --",
      "'; DROP TABLE articles; --",
      "reflective & !listening | x:*",
      "{title summary}: listening",
      "^reflective",
      "-reflective +listening",
      "reflective NEAR/2 listening",
      "\\",
      "'",
      "''",
      "%_%",
      "café “quoted” — dash",
      std::string(10000, 'x'),
      std::string(200, '"'),
      std::string("null\0byte", 9),
      "tab\there",
      "bell\x07",
      "\xF0\x9F\x98\x80 emoji",
  };
  for (const std::string& query : hostile) {
    SCOPED_TRACE(query.substr(0, 40));
    v1::SearchArticlesRequest r;
    r.set_query(query);
    absl::StatusOr<v1::SearchArticlesResponse> response =
        reader_->SearchArticles(anyone_, r);
    if (!response.ok()) {
      EXPECT_THAT(response, StatusIs(absl::StatusCode::kInvalidArgument));
    }
  }
  // The operators are words like any other, never syntax.
  EXPECT_THAT(Found(anyone_, "reflective OR drinking"),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Found(anyone_, "NEAR(reflective listening)"),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Found(anyone_, "\"reflective listening"),
              IsOkAndHolds(Contains("articles/reflective-listening")));
}

TEST_P(SearchTest, ARestrictedArticleNeverShowsInAnAnonymousSearch) {
  v1::CreateArticleRequest r =
      NewArticle("secret-reading", "Reflective practice workbook",
                 "Reflective exercises for the day.");
  r.mutable_article()->set_audience(v1::Article::BOOKED);
  r.mutable_article()->add_courses("courses/intro-mi");
  ASSERT_THAT(Published(r), IsOk());
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> found,
                       Found(anyone_, "reflective"));
  EXPECT_THAT(found, ElementsAre("articles/reflective-listening",
                                 "articles/family-safeguarding"));
  EXPECT_THAT(Found(anyone_, "workbook"), IsOkAndHolds(IsEmpty()));
  booking_.Open("bookings/ABCD2345", "t",
                {.course = "courses/intro-mi", .confirmed = true});
  EXPECT_THAT(Found(TokenHolder("t"), "workbook", "bookings/ABCD2345"),
              IsOkAndHolds(ElementsAre("articles/secret-reading")));
}

TEST(ClipSnippetTest, CutsLongSnippetsAndKeepsBracketsBalanced) {
  EXPECT_EQ(ClipSnippet("short [word]"), "short [word]");
  EXPECT_EQ(ClipSnippet("one\ntwo  \t[three]\n"), "one two [three]");
  std::string long_text;
  for (int i = 0; i < 80; ++i) long_text += "word ";
  long_text += "[match]";
  const std::string clipped = ClipSnippet(long_text);
  EXPECT_LE(text::Utf8Length(clipped), 300u);
  EXPECT_EQ(std::count(clipped.begin(), clipped.end(), '['),
            std::count(clipped.begin(), clipped.end(), ']'));
  std::string cut_inside(290, 'a');
  cut_inside += " [matchedwordthatislong]";
  const std::string balanced = ClipSnippet(cut_inside);
  EXPECT_EQ(std::count(balanced.begin(), balanced.end(), '['), 0);
}

TRAINING_ON_BOTH_ENGINES(SearchTest);

}  // namespace
}  // namespace training::content

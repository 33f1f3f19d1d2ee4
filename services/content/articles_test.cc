// Articles on both engines: creation and idempotency, revisions and etags,
// publish and archive with their events, drafts hidden from the public,
// revalidation by etag, and who may read a restricted article.

#include "services/content/content_test_fixture.h"

namespace training::content {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::training::testing::IsOk;
using ::training::testing::IsOkAndHolds;
using ::training::testing::StatusIs;

class ArticlesTest : public ContentTest {
 protected:
  // The content events in the outbox, by type, in order.
  std::vector<std::string> EventTypes() {
    std::vector<std::string> types;
    auto tx = db_->Begin(sql::TxMode::kRead);
    EXPECT_THAT(tx, IsOk());
    auto rows = (*tx)->Query(
        "SELECT payload FROM outbox WHERE stream = $1 ORDER BY seq",
        {std::string(kContentStream)});
    EXPECT_THAT(rows, IsOk());
    for (size_t i = 0; rows.ok() && i < rows->size(); ++i) {
      training::events::v1::Event event;
      EXPECT_TRUE(event.ParseFromString(rows->GetBlob(i, "payload")->bytes));
      types.push_back(event.type());
    }
    return types;
  }
};

TEST_P(ArticlesTest, CreateMakesADraftAtRevisionOne) {
  ASSERT_OK_AND_ASSIGN(
      v1::Article a, editor_->CreateArticle(
                         admin_, NewArticle("what-is-mi", "What is MI?",
                                            "# Where it began\n\nIn *1983*.")));
  EXPECT_EQ(a.name(), "articles/what-is-mi");
  EXPECT_EQ(a.state(), v1::Article::DRAFT);
  EXPECT_EQ(a.revision_id(), "1");
  EXPECT_EQ(a.kind(), v1::Article::PAGE);
  EXPECT_EQ(a.audience(), v1::Article::PUBLIC);
  EXPECT_EQ(a.body_html(),
            "<h1>Where it began</h1>\n<p>In <em>1983</em>.</p>\n");
  EXPECT_FALSE(a.etag().empty());
  EXPECT_FALSE(a.has_publish_time());
  // The admin reads what was returned, etag and all.
  ASSERT_OK_AND_ASSIGN(v1::Article read, Get(admin_, a.name()));
  EXPECT_EQ(read.SerializeAsString(), a.SerializeAsString());
}

TEST_P(ArticlesTest, CreateIsIdempotentAndRefusesBadInputWithoutChanges) {
  v1::CreateArticleRequest r = NewArticle("faq", "Questions", "Answers.");
  r.set_request_id("8f14e45f-ceea-4e67-a2c1-0f5b1b1d2c3e");
  ASSERT_OK_AND_ASSIGN(v1::Article first, editor_->CreateArticle(admin_, r));
  ASSERT_OK_AND_ASSIGN(v1::Article again, editor_->CreateArticle(admin_, r));
  EXPECT_EQ(again.etag(), first.etag());
  v1::CreateArticleRequest other = r;
  other.mutable_article()->set_title("Other");
  EXPECT_THAT(editor_->CreateArticle(admin_, other),
              StatusIs(absl::StatusCode::kInvalidArgument));
  other.clear_request_id();
  EXPECT_THAT(editor_->CreateArticle(admin_, other),
              StatusIs(absl::StatusCode::kAlreadyExists));

  v1::CreateArticleRequest bad = NewArticle("Bad Id", "", "");
  bad.mutable_article()->add_tags("NOT OK");
  absl::StatusOr<v1::Article> refused = editor_->CreateArticle(admin_, bad);
  ASSERT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<std::string> fields;
  for (const auto& v : GetFieldViolations(refused.status())) {
    fields.push_back(v.field);
  }
  EXPECT_THAT(fields, ElementsAre("article_id", "article.title",
                                  "article.body_markdown", "article.tags[0]"));
  v1::ListArticlesRequest all;
  all.set_show_unpublished(true);
  EXPECT_THAT(Listed(admin_, all), IsOkAndHolds(ElementsAre("articles/faq")));
}

TEST_P(ArticlesTest, TextChangesMakeRevisionsAndEveryChangeAnEtag) {
  ASSERT_OK_AND_ASSIGN(
      v1::Article a,
      editor_->CreateArticle(admin_,
                             NewArticle("empathy", "Empathy", "First text.")));
  clock_.Advance(absl::Minutes(1));

  // Tags only: same revision, new etag.
  v1::UpdateArticleRequest tags;
  tags.mutable_article()->set_name(a.name());
  tags.mutable_article()->add_tags("principle");
  tags.mutable_update_mask()->add_paths("tags");
  ASSERT_OK_AND_ASSIGN(v1::Article tagged,
                       editor_->UpdateArticle(admin_, tags));
  EXPECT_EQ(tagged.revision_id(), "1");
  EXPECT_NE(tagged.etag(), a.etag());

  // The same change again changes nothing.
  ASSERT_OK_AND_ASSIGN(v1::Article same, editor_->UpdateArticle(admin_, tags));
  EXPECT_EQ(same.etag(), tagged.etag());

  // The body: revision 2, rendered anew.
  v1::UpdateArticleRequest body;
  body.mutable_article()->set_name(a.name());
  body.mutable_article()->set_body_markdown("Second **text**.");
  body.mutable_article()->set_etag(tagged.etag());
  body.mutable_update_mask()->add_paths("body_markdown");
  ASSERT_OK_AND_ASSIGN(v1::Article edited,
                       editor_->UpdateArticle(admin_, body));
  EXPECT_EQ(edited.revision_id(), "2");
  EXPECT_EQ(edited.body_html(), "<p>Second <strong>text</strong>.</p>\n");
  EXPECT_NE(edited.etag(), tagged.etag());

  // A stale etag is refused and changes nothing.
  body.mutable_article()->set_body_markdown("Third.");
  EXPECT_THAT(editor_->UpdateArticle(admin_, body),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(v1::Article now, Get(admin_, a.name()));
  EXPECT_EQ(now.etag(), edited.etag());

  // Masks naming what may not be set are refused.
  v1::UpdateArticleRequest bad;
  bad.mutable_article()->set_name(a.name());
  bad.mutable_update_mask()->add_paths("state");
  EXPECT_THAT(editor_->UpdateArticle(admin_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad.mutable_update_mask()->Clear();
  bad.mutable_update_mask()->add_paths("title");
  EXPECT_THAT(editor_->UpdateArticle(admin_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // Revisions, newest first, with author and time; each keeps its text.
  v1::ListArticleRevisionsRequest list;
  list.set_parent(a.name());
  list.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(v1::ListArticleRevisionsResponse page,
                       editor_->ListArticleRevisions(admin_, list));
  ASSERT_EQ(page.revisions_size(), 1);
  EXPECT_EQ(page.revisions(0).name(), "articles/empathy/revisions/2");
  EXPECT_EQ(page.revisions(0).author(), "training-team");
  EXPECT_EQ(page.revisions(0).body_markdown(), "Second **text**.");
  list.set_page_token(page.next_page_token());
  ASSERT_OK_AND_ASSIGN(page, editor_->ListArticleRevisions(admin_, list));
  ASSERT_EQ(page.revisions_size(), 1);
  EXPECT_EQ(page.revisions(0).name(), "articles/empathy/revisions/1");
  EXPECT_TRUE(page.next_page_token().empty());
  v1::GetArticleRevisionRequest first;
  first.set_name("articles/empathy/revisions/1");
  ASSERT_OK_AND_ASSIGN(v1::ArticleRevision one,
                       editor_->GetArticleRevision(admin_, first));
  EXPECT_EQ(one.body_markdown(), "First text.");
  EXPECT_GT(page.revisions(0).create_time().seconds(), 0);
  first.set_name("articles/empathy/revisions/3");
  EXPECT_THAT(editor_->GetArticleRevision(admin_, first),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ArticlesTest, DraftsAndArchivedArticlesExistForAdminsOnly) {
  ASSERT_OK_AND_ASSIGN(
      v1::Article draft,
      editor_->CreateArticle(admin_, NewArticle("draft", "Draft", "Words.")));
  EXPECT_THAT(Get(anyone_, draft.name()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Listed(anyone_), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Found(anyone_, "words"), IsOkAndHolds(IsEmpty()));
  v1::ListArticlesRequest unpublished;
  unpublished.set_show_unpublished(true);
  EXPECT_THAT(Listed(anyone_, unpublished),
              StatusIs(absl::StatusCode::kPermissionDenied));

  v1::PublishArticleRequest publish;
  publish.set_name(draft.name());
  publish.set_etag("stale");
  EXPECT_THAT(editor_->PublishArticle(admin_, publish),
              StatusIs(absl::StatusCode::kAborted));
  publish.set_etag(draft.etag());
  ASSERT_OK_AND_ASSIGN(v1::Article published,
                       editor_->PublishArticle(admin_, publish));
  EXPECT_EQ(published.state(), v1::Article::PUBLISHED);
  EXPECT_TRUE(published.has_publish_time());
  EXPECT_NE(published.etag(), draft.etag());
  EXPECT_THAT(Get(anyone_, draft.name()), IsOk());
  EXPECT_THAT(Listed(anyone_), IsOkAndHolds(ElementsAre(draft.name())));
  EXPECT_THAT(Found(anyone_, "words"), IsOkAndHolds(ElementsAre(draft.name())));

  v1::ArchiveArticleRequest archive;
  archive.set_name(draft.name());
  ASSERT_OK_AND_ASSIGN(v1::Article archived,
                       editor_->ArchiveArticle(admin_, archive));
  EXPECT_EQ(archived.state(), v1::Article::ARCHIVED);
  EXPECT_NE(archived.etag(), published.etag());
  EXPECT_THAT(Get(anyone_, draft.name()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Found(anyone_, "words"), IsOkAndHolds(IsEmpty()));
  // Archiving again changes nothing.
  ASSERT_OK_AND_ASSIGN(v1::Article again,
                       editor_->ArchiveArticle(admin_, archive));
  EXPECT_EQ(again.etag(), archived.etag());
  EXPECT_THAT(EventTypes(), ElementsAre("training.events.v1.ArticlePublished",
                                        "training.events.v1.ArticleArchived"));
}

TEST_P(ArticlesTest, ChangesToAPublishedArticleArePublishedToo) {
  ASSERT_OK_AND_ASSIGN(v1::Article a,
                       Published(NewArticle("faq", "FAQ", "Answers.")));
  v1::UpdateArticleRequest r;
  r.mutable_article()->set_name(a.name());
  r.mutable_article()->set_kind(v1::Article::FAQ);
  r.mutable_update_mask()->add_paths("kind");
  ASSERT_THAT(editor_->UpdateArticle(admin_, r), IsOk());
  EXPECT_THAT(EventTypes(), ElementsAre("training.events.v1.ArticlePublished",
                                        "training.events.v1.ArticlePublished"));
}

TEST_P(ArticlesTest, ACurrentEtagGetsOnlyTheEtagBack) {
  ASSERT_OK_AND_ASSIGN(v1::Article a,
                       Published(NewArticle("faq", "FAQ", "Answers.")));
  v1::GetArticleRequest r;
  r.set_name(a.name());
  r.set_if_none_match(a.etag());
  ASSERT_OK_AND_ASSIGN(v1::Article unchanged, reader_->GetArticle(anyone_, r));
  EXPECT_EQ(unchanged.name(), a.name());
  EXPECT_EQ(unchanged.etag(), a.etag());
  EXPECT_TRUE(unchanged.body_html().empty());
  EXPECT_TRUE(unchanged.title().empty());
  r.set_if_none_match("an-old-etag");
  ASSERT_OK_AND_ASSIGN(v1::Article full, reader_->GetArticle(anyone_, r));
  EXPECT_EQ(full.SerializeAsString(), a.SerializeAsString());
}

TEST_P(ArticlesTest, RestrictedArticlesAreReadOnlyByThoseTheyAreFor) {
  v1::CreateArticleRequest pre =
      NewArticle("pre-reading", "Before the day", "Read this first.");
  pre.mutable_article()->set_audience(v1::Article::BOOKED);
  pre.mutable_article()->add_courses("courses/intro-mi");
  v1::CreateArticleRequest post =
      NewArticle("next-steps", "After the day", "What to do next.");
  post.mutable_article()->set_audience(v1::Article::ATTENDED);
  post.mutable_article()->add_courses("courses/intro-mi");
  ASSERT_OK_AND_ASSIGN(v1::Article before, Published(pre));
  ASSERT_OK_AND_ASSIGN(v1::Article after, Published(post));
  ASSERT_OK_AND_ASSIGN(v1::Article open,
                       Published(NewArticle("open", "Open", "For all.")));

  booking_.Open("bookings/BKEDAAA2", "token-1",
                {.course = "courses/intro-mi", .confirmed = true});
  booking_.Open(
      "bookings/CAMEAAA2", "token-2",
      {.course = "courses/intro-mi", .confirmed = true, .attended = true});
  booking_.Open(
      "bookings/THERAAA3", "token-3",
      {.course = "courses/mi-skills", .confirmed = true, .attended = true});

  absl::StatusOr<v1::Article> refused = Get(anyone_, before.name());
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_TRUE(GetErrorInfo(refused.status()).has_value());
  EXPECT_EQ(GetErrorInfo(refused.status())->reason, "AUDIENCE_RESTRICTED");
  EXPECT_THAT(Get(anyone_, before.name(), "bookings/BKEDAAA2"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Get(TokenHolder("wrong"), before.name(), "bookings/BKEDAAA2"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Get(TokenHolder("token-1"), before.name(), "bookings/BAD-REF"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Get(TokenHolder("token-1"), before.name(), "bookings/BKEDAAA2"),
              IsOk());
  // Booking takes references in any case, with or without the hyphen.
  EXPECT_THAT(Get(TokenHolder("token-1"), before.name(), "bookings/bked-aaa2"),
              IsOk());
  EXPECT_THAT(Get(TokenHolder("token-1"), after.name(), "bookings/BKEDAAA2"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Get(TokenHolder("token-2"), after.name(), "bookings/CAMEAAA2"),
              IsOk());
  EXPECT_THAT(Get(TokenHolder("token-3"), before.name(), "bookings/THERAAA3"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Get(admin_, after.name()), IsOk());

  // Lists and searches show each reader what they may read, and no more.
  EXPECT_THAT(Listed(anyone_), IsOkAndHolds(ElementsAre(open.name())));
  v1::ListArticlesRequest as_booked;
  as_booked.set_booking("bookings/BKEDAAA2");
  EXPECT_THAT(Listed(TokenHolder("token-1"), as_booked),
              IsOkAndHolds(ElementsAre(before.name(), open.name())));
  as_booked.set_booking("bookings/CAMEAAA2");
  EXPECT_THAT(
      Listed(TokenHolder("token-2"), as_booked),
      IsOkAndHolds(ElementsAre(after.name(), before.name(), open.name())));
  EXPECT_THAT(Listed(TokenHolder("token-1"), as_booked),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Found(anyone_, "day"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Found(TokenHolder("token-1"), "day", "bookings/BKEDAAA2"),
              IsOkAndHolds(ElementsAre(before.name())));
  EXPECT_THAT(Found(admin_, "day"), IsOkAndHolds(::testing::SizeIs(2)));

  // Booking down: restricted articles wait, public ones are served.
  booking_.SetDown(true);
  absl::StatusOr<v1::Article> down =
      Get(TokenHolder("token-1"), before.name(), "bookings/BKEDAAA2");
  EXPECT_THAT(down, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(GetRetryDelay(down.status()).has_value());
  const int asked = booking_.asked();
  EXPECT_THAT(Get(TokenHolder("token-1"), open.name(), "bookings/BKEDAAA2"),
              IsOk());
  EXPECT_THAT(Get(anyone_, open.name()), IsOk());
  EXPECT_EQ(booking_.asked(), asked) << "public reads must not ask booking";
  // A list naming the booking shows what anyone sees.
  EXPECT_THAT(Listed(TokenHolder("token-1"), as_booked),
              IsOkAndHolds(ElementsAre(open.name())));
}

TEST_P(ArticlesTest, FiltersByKindTagAndCourse) {
  v1::CreateArticleRequest principle =
      NewArticle("empathy", "Express empathy", "Listen.");
  principle.mutable_article()->set_kind(v1::Article::PRINCIPLE);
  principle.mutable_article()->add_tags("mi-principle");
  principle.mutable_article()->add_courses("courses/intro-mi");
  ASSERT_THAT(Published(principle), IsOk());
  v1::CreateArticleRequest faq =
      NewArticle("faq", "Booking questions", "Listen to the answers.");
  faq.mutable_article()->set_kind(v1::Article::FAQ);
  ASSERT_THAT(Published(faq), IsOk());

  v1::ListArticlesRequest r;
  r.set_kind(v1::Article::PRINCIPLE);
  EXPECT_THAT(Listed(anyone_, r),
              IsOkAndHolds(ElementsAre("articles/empathy")));
  r.Clear();
  r.set_tag("mi-principle");
  EXPECT_THAT(Listed(anyone_, r),
              IsOkAndHolds(ElementsAre("articles/empathy")));
  r.Clear();
  r.set_course("courses/intro-mi");
  EXPECT_THAT(Listed(anyone_, r),
              IsOkAndHolds(ElementsAre("articles/empathy")));
  r.set_course("not-a-course");
  EXPECT_THAT(Listed(anyone_, r), StatusIs(absl::StatusCode::kInvalidArgument));

  v1::SearchArticlesRequest s;
  s.set_query("listen");
  s.set_kind(v1::Article::FAQ);
  ASSERT_OK_AND_ASSIGN(v1::SearchArticlesResponse found,
                       reader_->SearchArticles(anyone_, s));
  ASSERT_EQ(found.results_size(), 1);
  EXPECT_EQ(found.results(0).article().name(), "articles/faq");
  EXPECT_TRUE(found.results(0).article().body_html().empty());
}

TEST_P(ArticlesTest, ListsPageByTitle) {
  for (const char* id : {"delta", "alpha", "charlie", "bravo", "echo"}) {
    std::string title = id;
    title[0] = static_cast<char>(title[0] - 'a' + 'A');
    ASSERT_THAT(Published(NewArticle(id, title, "Text.")), IsOk());
  }
  v1::ListArticlesRequest r;
  r.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    ASSERT_OK_AND_ASSIGN(v1::ListArticlesResponse response,
                         reader_->ListArticles(anyone_, r));
    for (const v1::Article& a : response.articles()) {
      EXPECT_TRUE(a.body_markdown().empty());
      seen.push_back(a.name());
    }
    if (response.next_page_token().empty()) break;
    r.set_page_token(response.next_page_token());
  }
  EXPECT_THAT(
      seen, ElementsAre("articles/alpha", "articles/bravo", "articles/charlie",
                        "articles/delta", "articles/echo"));
  r.set_tag("other");
  EXPECT_THAT(reader_->ListArticles(anyone_, r),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TRAINING_ON_BOTH_ENGINES(ArticlesTest);

}  // namespace
}  // namespace training::content

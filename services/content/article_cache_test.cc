// The article cache: what a change here, a read racing it, a change by
// another replica, a database that cannot be asked, expiry and a full cache
// each do to what is served — alone, then with two replicas of the content
// service sharing one database on both engines.

#include "services/content/article_cache.h"

#include "services/content/content_test_fixture.h"

namespace training::content {
namespace {

using ::training::testing::IsOk;
using ::training::testing::IsOkAndHolds;

std::shared_ptr<const v1::Article> Version(const std::string& name,
                                           const std::string& etag) {
  auto article = std::make_shared<v1::Article>();
  article->set_name(name);
  article->set_etag(etag);
  return article;
}

std::string EtagIn(const std::shared_ptr<const v1::Article>& article) {
  return article == nullptr ? "(none)" : article->etag();
}

class ArticleCacheTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
};

TEST_F(ArticleCacheTest, ServesWhatWasPutAndChangesDropIt) {
  ArticleCache cache(&clock_, {});
  EXPECT_EQ(cache.Find("articles/a"), nullptr);
  cache.Put(Version("articles/a", "1"), cache.Epoch());
  cache.Put(Version("articles/b", "1"), cache.Epoch());
  EXPECT_EQ(EtagIn(cache.Find("articles/a")), "1");
  cache.Changed("articles/a");
  EXPECT_EQ(cache.Find("articles/a"), nullptr);
  EXPECT_EQ(EtagIn(cache.Find("articles/b")), "1");
  cache.Put(Version("articles/a", "2"), cache.Epoch());
  EXPECT_EQ(EtagIn(cache.Find("articles/a")), "2");
}

TEST_F(ArticleCacheTest, AReadThatBeganBeforeAChangeIsNotKept) {
  ArticleCache cache(&clock_, {});
  const int64_t before = cache.Epoch();  // a reader starts reading v1
  cache.Changed("articles/a");           // a change commits meanwhile
  cache.Put(Version("articles/a", "1"), before);
  EXPECT_EQ(cache.Find("articles/a"), nullptr);
}

TEST_F(ArticleCacheTest, ReconcileDropsWhatAnotherReplicaChanged) {
  ArticleCache cache(&clock_, {.stale_after = absl::Seconds(2)});
  cache.Put(Version("articles/a", "1"), cache.Epoch());
  cache.Put(Version("articles/b", "1"), cache.Epoch());
  const int64_t racing = cache.Epoch();
  cache.Reconcile({{"articles/a", "2"}, {"articles/b", "1"}}, clock_.Now());
  EXPECT_EQ(cache.Find("articles/a"), nullptr);
  EXPECT_EQ(EtagIn(cache.Find("articles/b")), "1");
  // A read that began before the check may hold the old copy.
  cache.Put(Version("articles/a", "1"), racing);
  EXPECT_EQ(cache.Find("articles/a"), nullptr);
}

TEST_F(ArticleCacheTest, NothingIsServedLongAfterTheLastCheck) {
  ArticleCache cache(&clock_, {.stale_after = absl::Seconds(2)});
  cache.Put(Version("articles/a", "1"), cache.Epoch());
  clock_.Advance(absl::Seconds(1));
  EXPECT_NE(cache.Find("articles/a"), nullptr);
  clock_.Advance(absl::Seconds(2));  // the watcher could not ask
  EXPECT_EQ(cache.Find("articles/a"), nullptr);
  cache.Reconcile({}, clock_.Now());  // it could again
  EXPECT_NE(cache.Find("articles/a"), nullptr);
}

TEST_F(ArticleCacheTest, EntriesExpireAndAFullCacheDropsTheLeastUsed) {
  ArticleCache cache(&clock_, {.ttl = absl::Minutes(1), .max_entries = 10});
  for (int i = 0; i < 10; ++i) {
    cache.Put(Version(absl::StrCat("articles/a", i), "1"), cache.Epoch());
    clock_.Advance(absl::Seconds(1));
  }
  // a0 is used again; a1 is now the least recently used.
  EXPECT_NE(cache.Find("articles/a0"), nullptr);
  cache.Put(Version("articles/new", "1"), cache.Epoch());
  EXPECT_EQ(cache.size(), 10u);
  EXPECT_NE(cache.Find("articles/a0"), nullptr);
  EXPECT_EQ(cache.Find("articles/a1"), nullptr);
  EXPECT_NE(cache.Find("articles/new"), nullptr);
  clock_.Advance(absl::Minutes(2));
  EXPECT_EQ(cache.Find("articles/new"), nullptr);

  ArticleCache none(&clock_, {.ttl = absl::ZeroDuration()});
  none.Put(Version("articles/a", "1"), none.Epoch());
  EXPECT_EQ(none.Find("articles/a"), nullptr);
}

// Two replicas of the content service over one database, each with its
// own cache and watcher.
class ReplicaCacheTest : public ContentTest {
 protected:
  void SetUp() override {
    ContentTest::SetUp();
    if (HasFatalFailure()) return;
    const ArticleCache::Options options{.stale_after = absl::Seconds(30)};
    cache_a_ = std::make_unique<ArticleCache>(Clock::Real(), options);
    cache_b_ = std::make_unique<ArticleCache>(Clock::Real(), options);
    editor_a_ =
        std::make_unique<ArticleEditor>(store_.get(), &clock_, cache_a_.get());
    reader_b_ = std::make_unique<ArticleReader>(store_.get(), &booking_,
                                                cache_b_.get());
    watcher_b_ = std::make_unique<ArticleChangeWatcher>(
        store_.get(), cache_b_.get(), Clock::Real(), absl::Hours(1));
  }

  absl::StatusOr<std::string> EtagAtB(const std::string& name) {
    v1::GetArticleRequest r;
    r.set_name(name);
    absl::StatusOr<v1::Article> article = reader_b_->GetArticle(anyone_, r);
    if (!article.ok()) return article.status();
    return article->etag();
  }

  std::unique_ptr<ArticleCache> cache_a_, cache_b_;
  std::unique_ptr<ArticleEditor> editor_a_;
  std::unique_ptr<ArticleReader> reader_b_;
  std::unique_ptr<ArticleChangeWatcher> watcher_b_;
};

TEST_P(ReplicaCacheTest, AChangeOnOneReplicaReachesTheOthersCacheAtItsCheck) {
  ASSERT_OK_AND_ASSIGN(v1::Article a,
                       Published(NewArticle("faq", "FAQ", "Answers.")));
  EXPECT_THAT(EtagAtB(a.name()), IsOkAndHolds(a.etag()));  // now cached at B

  v1::UpdateArticleRequest r;
  r.mutable_article()->set_name(a.name());
  r.mutable_article()->add_tags("changed");
  r.mutable_update_mask()->add_paths("tags");
  ASSERT_OK_AND_ASSIGN(v1::Article changed,
                       editor_a_->UpdateArticle(admin_, r));
  ASSERT_NE(changed.etag(), a.etag());
  // Until B checks, it serves its copy (within one poll interval)...
  EXPECT_THAT(EtagAtB(a.name()), IsOkAndHolds(a.etag()));
  // ...and after, the change.
  ASSERT_THAT(watcher_b_->CheckOnce(), IsOk());
  EXPECT_THAT(EtagAtB(a.name()), IsOkAndHolds(changed.etag()));

  // Archived on A: B stops serving it at its next check.
  v1::ArchiveArticleRequest archive;
  archive.set_name(a.name());
  ASSERT_THAT(editor_a_->ArchiveArticle(admin_, archive), IsOk());
  ASSERT_THAT(watcher_b_->CheckOnce(), IsOk());
  EXPECT_THAT(EtagAtB(a.name()),
              ::training::testing::StatusIs(absl::StatusCode::kNotFound));
}

TRAINING_ON_BOTH_ENGINES(ReplicaCacheTest);

}  // namespace
}  // namespace training::content

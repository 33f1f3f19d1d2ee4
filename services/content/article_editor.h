#ifndef TRAINING_SERVICES_CONTENT_ARTICLE_EDITOR_H_
#define TRAINING_SERVICES_CONTENT_ARTICLE_EDITOR_H_

// The training team's side of the content service, one method per RPC,
// free of gRPC: create, update, publish and archive articles, and read
// their revisions. Each change validates with the domain rules, renders the
// Markdown once, and runs in one store transaction with its revision, its
// search entry, its idempotency record and its events. Thread-safe.

#include "absl/status/statusor.h"
#include "common/time/clock.h"
#include "services/content/article_cache.h"
#include "services/content/caller.h"
#include "services/content/store.h"
#include "training/content/v1/content_service.pb.h"

namespace training::content {

class ArticleEditor {
 public:
  // Nothing is owned; all must outlive this. `cache` (may be null) is told
  // of every change once it commits.
  ArticleEditor(ContentStore* store, const Clock* clock,
                ArticleCache* cache = nullptr)
      : store_(store), clock_(clock), cache_(cache) {}

  // A new DRAFT at revision 1. ALREADY_EXISTS when the slug is taken; a
  // retry with the same request_id returns the article as it is now.
  absl::StatusOr<v1::Article> CreateArticle(const Caller& caller,
                                            const v1::CreateArticleRequest& r);
  // Changes the masked fields. A change to title, summary or body makes a
  // new revision; a change to nothing changes nothing. ABORTED when the
  // given etag is stale.
  absl::StatusOr<v1::Article> UpdateArticle(const Caller& caller,
                                            const v1::UpdateArticleRequest& r);
  // To PUBLISHED (the first time sets publish_time); already published:
  // unchanged. ArticlePublished on the outbox.
  absl::StatusOr<v1::Article> PublishArticle(
      const Caller& caller, const v1::PublishArticleRequest& r);
  // To ARCHIVED; already archived: unchanged. ArticleArchived on the
  // outbox.
  absl::StatusOr<v1::Article> ArchiveArticle(
      const Caller& caller, const v1::ArchiveArticleRequest& r);

  absl::StatusOr<v1::ArticleRevision> GetArticleRevision(
      const Caller& caller, const v1::GetArticleRevisionRequest& r);
  absl::StatusOr<v1::ListArticleRevisionsResponse> ListArticleRevisions(
      const Caller& caller, const v1::ListArticleRevisionsRequest& r);

 private:
  // Moves the article to `state` (PUBLISHED or ARCHIVED) with its event.
  absl::StatusOr<v1::Article> ChangeState(const Caller& caller,
                                          const std::string& name,
                                          const std::string& etag,
                                          v1::Article::State state);
  // The article as committed, for the cache; returns it.
  v1::Article Committed(v1::Article article);

  ContentStore* store_;
  const Clock* clock_;
  ArticleCache* cache_;
};

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_ARTICLE_EDITOR_H_

#ifndef TRAINING_SERVICES_CONTENT_STORE_H_
#define TRAINING_SERVICES_CONTENT_STORE_H_

// What the content service keeps, in domain types (the v1 resources).
// Everything happens inside a ContentTransaction, so that a change, its
// revision, its search entry, its idempotency record and its events commit
// together or not at all.
//
// An article is kept as its listed form (bodies left out, etag set) plus the
// current revision's Markdown and rendered HTML, so lists never read bodies.
// Each revision keeps its own text and HTML. The search index holds the
// current text of every article; searches return published ones only.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/requests/requests.h"
#include "training/content/v1/resources.pb.h"
#include "training/events/v1/events.pb.h"

namespace training::content {

// Which articles a list or search may show, beyond its filters.
struct Visibility {
  // Drafts and archived articles too (admins who ask).
  bool unpublished = false;
  // Every audience (admins); otherwise PUBLIC ones, plus `opened_audiences`
  // on articles linked to `opened_course`.
  bool all_audiences = false;
  std::string opened_course;
  std::vector<v1::Article::Audience> opened_audiences;
};

// The filters both lists and search take; empty means any.
struct ArticleFilters {
  std::string tag;
  v1::Article::Kind kind = v1::Article::KIND_UNSPECIFIED;
  std::string course;
};

// A ListArticles page: by title, then name.
struct ArticleQuery {
  Visibility visibility;
  ArticleFilters filters;
  std::optional<requests::PageKey> after;  // (title key, name)
  int limit = 50;
};

// A SearchArticles page: most relevant first.
struct SearchQuery {
  std::vector<std::string> words;  // ParseSearchQuery's; none finds nothing
  Visibility visibility;
  ArticleFilters filters;
  int offset = 0;
  int limit = 10;
};

struct SearchHit {
  v1::Article article;  // listed form
  std::string snippet;  // matched words in [ and ]
  double score = 0;     // higher is better
};

// What is written for a new current text.
struct ArticleText {
  v1::ArticleRevision revision;  // name, text, time, author
  std::string body_html;
  std::string plain_text;  // of the body, for search
};

// An article's current etag, for caches to check theirs against.
struct ArticleVersion {
  std::string name;
  std::string etag;
};

using ::training::requests::RequestRecord;

// How long a create's request_id is remembered.
inline constexpr absl::Duration kRequestRetention = absl::Hours(24 * 7);

// One transaction's view. Belongs to one thread; valid only inside
// ContentStore::Run. Errors are those of common/sql (UNAVAILABLE, ABORTED
// for a conflict to retry, …) plus those named here.
class ContentTransaction {
 public:
  virtual ~ContentTransaction() = default;
  ContentTransaction(const ContentTransaction&) = delete;
  ContentTransaction& operator=(const ContentTransaction&) = delete;

  // The article with its bodies when `with_body`, listed form otherwise;
  // nullopt when absent. `lock` keeps it from changing until the
  // transaction ends (write transactions only).
  virtual absl::StatusOr<std::optional<v1::Article>> FindArticle(
      const std::string& name, bool with_body, bool lock) = 0;
  // Stores a new article (`article` complete, etag set) with its first
  // text. ALREADY_EXISTS when the name is taken.
  virtual absl::Status InsertArticle(const v1::Article& article,
                                     const ArticleText& text) = 0;
  // Replaces the stored article (complete, etag set); with `text` the
  // article has a new current revision, which is kept and indexed.
  // NOT_FOUND when absent.
  virtual absl::Status UpdateArticle(const v1::Article& article,
                                     const ArticleText* text) = 0;
  virtual absl::StatusOr<std::vector<v1::Article>> ListArticles(
      const ArticleQuery& query) = 0;
  virtual absl::StatusOr<std::vector<SearchHit>> Search(
      const SearchQuery& query) = 0;
  // The articles written (by any process) since `since` by the writers'
  // clocks, with their etags now.
  virtual absl::StatusOr<std::vector<ArticleVersion>> ChangedSince(
      absl::Time since) = 0;

  // Revisions of `article` (`articles/{article}`); nullopt when absent.
  virtual absl::StatusOr<std::optional<v1::ArticleRevision>> FindRevision(
      const std::string& article, int64_t revision) = 0;
  // Newest first, those older than `before` when given.
  virtual absl::StatusOr<std::vector<v1::ArticleRevision>> ListRevisions(
      const std::string& article, std::optional<int64_t> before, int limit) = 0;

  virtual absl::StatusOr<std::optional<RequestRecord>> FindRequest(
      const std::string& request_id, absl::Time now) = 0;
  virtual absl::Status RecordRequest(const std::string& request_id,
                                     const RequestRecord& record,
                                     absl::Time now) = 0;

  // Adds an event to the outbox; it is published only if this commits.
  virtual absl::Status AddEvent(training::events::v1::Event event) = 0;

 protected:
  ContentTransaction() = default;
};

// The content service's storage. Thread-safe.
class ContentStore {
 public:
  virtual ~ContentStore() = default;
  ContentStore(const ContentStore&) = delete;
  ContentStore& operator=(const ContentStore&) = delete;

  enum class Mode { kRead, kWrite };

  // Runs `body` in one transaction and commits it when `body` returns OK;
  // rolls back otherwise. A conflict reruns `body` a few times, so `body`
  // must be safe to run again.
  virtual absl::Status Run(
      Mode mode,
      const std::function<absl::Status(ContentTransaction&)>& body) = 0;

 protected:
  ContentStore() = default;
};

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_STORE_H_

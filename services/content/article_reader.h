#ifndef TRAINING_SERVICES_CONTENT_ARTICLE_READER_H_
#define TRAINING_SERVICES_CONTENT_ARTICLE_READER_H_

// The readers' side of the content service, one method per RPC, free of
// gRPC: get, list and search articles, each showing only what the caller
// may read. Drafts and archived articles exist for admins only. A
// restricted article (BOOKED, ATTENDED) is read by admins and by the holder
// of a manage token whose booking opens it (BookingAccess); nobody else
// sees it, not even in a list or a search. Booking is asked only when a
// restricted article is in question, outside any transaction, so public
// reading never depends on it. Thread-safe.

#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "services/content/article_cache.h"
#include "services/content/article_rules.h"
#include "services/content/booking_access.h"
#include "services/content/caller.h"
#include "services/content/store.h"
#include "training/content/v1/content_service.pb.h"

namespace training::content {

class ArticleReader {
 public:
  // Nothing is owned; all must outlive this. `cache` may be null.
  ArticleReader(ContentStore* store, BookingAccess* booking_access,
                ArticleCache* cache = nullptr)
      : store_(store), booking_access_(booking_access), cache_(cache) {}

  // Runs work that may block elsewhere; false when it cannot be taken now.
  using Offload = std::function<bool(std::function<void()>)>;

  // NOT_FOUND for an unknown article and, but to admins, a draft or an
  // archived one; PERMISSION_DENIED (AUDIENCE_RESTRICTED) for a restricted
  // one the caller may not read; UNAVAILABLE when booking cannot say. With
  // `if_none_match` equal to the current etag: only name and etag.
  absl::StatusOr<v1::Article> GetArticle(const Caller& caller,
                                         const v1::GetArticleRequest& r);
  // The same, answered at once when the cache holds the article and
  // booking need not be asked; otherwise the work goes to `offload`
  // (RESOURCE_EXHAUSTED with a retry hint when it refuses). Never blocks:
  // fit for gRPC's own threads. `r` must live until `done` is called.
  void GetArticleAsync(const Caller& caller, const v1::GetArticleRequest& r,
                       const Offload& offload,
                       std::function<void(absl::StatusOr<v1::Article>)> done);
  // By title, bodies left out. A named booking is checked first
  // (PERMISSION_DENIED when the token does not open it; when booking cannot
  // say, the public articles only, as to anyone).
  absl::StatusOr<v1::ListArticlesResponse> ListArticles(
      const Caller& caller, const v1::ListArticlesRequest& r);
  // Published articles the caller may read, most relevant first, the first
  // 1,000 at most; bookings as for ListArticles.
  absl::StatusOr<v1::SearchArticlesResponse> SearchArticles(
      const Caller& caller, const v1::SearchArticlesRequest& r);

 private:
  // Who reads: an admin, or the holder of the named booking's token when it
  // opens it, or anyone. INVALID_ARGUMENT for a malformed booking name,
  // UNAUTHENTICATED for a booking named without a token, and BookingAccess's
  // errors.
  absl::StatusOr<Reader> ReaderOf(const Caller& caller,
                                  const std::string& booking);
  // As ReaderOf, but when booking cannot answer the reader is anyone (a
  // list or search still shows the public articles).
  absl::StatusOr<Reader> ListReaderOf(const Caller& caller,
                                      const std::string& booking);
  // The filters of a list or search; INVALID_ARGUMENT naming the field.
  static absl::StatusOr<ArticleFilters> FiltersOf(const std::string& tag,
                                                  v1::Article::Kind kind,
                                                  const std::string& course);
  static Visibility VisibilityOf(const Reader& reader, bool unpublished);
  // The article, from the cache (when `use_cache`) or the database; null
  // when there is none.
  absl::StatusOr<std::shared_ptr<const v1::Article>> Load(
      const std::string& name, bool use_cache);
  // GetArticle's answer when it needs no booking: NOT_FOUND, a restricted
  // article asked for without a booking, or the article as the caller
  // receives it; nullopt when booking must be asked.
  static std::optional<absl::StatusOr<v1::Article>> AnswerWithoutBooking(
      const Caller& caller, const v1::GetArticleRequest& r,
      const v1::Article* article);
  // The rest of GetArticle after Load.
  absl::StatusOr<v1::Article> Answer(const Caller& caller,
                                     const v1::GetArticleRequest& r,
                                     const v1::Article* article);

  ContentStore* store_;
  BookingAccess* booking_access_;
  ArticleCache* cache_;
};

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_ARTICLE_READER_H_

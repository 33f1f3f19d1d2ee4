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

#include <optional>

#include "absl/status/statusor.h"
#include "services/content/article_rules.h"
#include "services/content/booking_access.h"
#include "services/content/caller.h"
#include "services/content/store.h"
#include "training/content/v1/content_service.pb.h"

namespace training::content {

class ArticleReader {
 public:
  // Nothing is owned; all must outlive this.
  ArticleReader(ContentStore* store, BookingAccess* booking_access)
      : store_(store), booking_access_(booking_access) {}

  // NOT_FOUND for an unknown article and, but to admins, a draft or an
  // archived one; PERMISSION_DENIED (AUDIENCE_RESTRICTED) for a restricted
  // one the caller may not read; UNAVAILABLE when booking cannot say. With
  // `if_none_match` equal to the current etag: only name and etag.
  absl::StatusOr<v1::Article> GetArticle(const Caller& caller,
                                         const v1::GetArticleRequest& r);
  // By title, bodies left out. A named booking is checked first
  // (PERMISSION_DENIED when the token does not open it, UNAVAILABLE when
  // booking cannot say).
  absl::StatusOr<v1::ListArticlesResponse> ListArticles(
      const Caller& caller, const v1::ListArticlesRequest& r);
  // Published articles the caller may read, most relevant first; bookings
  // as for ListArticles.
  absl::StatusOr<v1::SearchArticlesResponse> SearchArticles(
      const Caller& caller, const v1::SearchArticlesRequest& r);

 private:
  // Who reads: an admin, or the holder of the named booking's token when it
  // opens it, or anyone. INVALID_ARGUMENT for a malformed booking name,
  // UNAUTHENTICATED for a booking named without a token, and BookingAccess's
  // errors.
  absl::StatusOr<Reader> ReaderOf(const Caller& caller,
                                  const std::string& booking);
  // The filters of a list or search; INVALID_ARGUMENT naming the field.
  static absl::StatusOr<ArticleFilters> FiltersOf(const std::string& tag,
                                                  v1::Article::Kind kind,
                                                  const std::string& course);
  static Visibility VisibilityOf(const Reader& reader, bool unpublished);

  ContentStore* store_;
  BookingAccess* booking_access_;
};

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_ARTICLE_READER_H_

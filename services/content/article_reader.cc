#include "services/content/article_reader.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/metrics/metrics.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/text/booking_names.h"
#include "common/text/text.h"
#include "services/content/search_query.h"

namespace training::content {
namespace {

enum class ReadResult { kFull, kNotModified, kRestricted };

void CountRead(ReadResult result) {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_content_reads_total",
      "Article reads by result: full, not_modified (the caller's etag was "
      "current), restricted (refused by audience).",
      {"result"});
  // Looked up once: a family look-up per read would cost more than the read.
  static prometheus::Counter* const counters[] = {
      &family.Child({"full"}), &family.Child({"not_modified"}),
      &family.Child({"restricted"})};
  counters[static_cast<int>(result)]->Increment();
}

void CountSearch(bool found) {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_content_searches_total",
      "Searches by whether they found anything.", {"found"});
  family.Add({found ? "yes" : "no"});
}

// `bookings/{reference}` in its canonical form (booking takes any case and
// a hyphen); nullopt when malformed, so booking is never asked about it.
std::optional<std::string> CanonicalBookingName(absl::string_view name) {
  std::optional<std::string> reference = text::BookingReferenceOf(name);
  if (!reference) return std::nullopt;
  return absl::StrCat("bookings/", *reference);
}

absl::Status MalformedBooking() {
  return InvalidArgumentError(
      {{"booking",
        "must be bookings/{reference} with an 8-character "
        "reference"}});
}

absl::Status AudienceRestricted(const v1::Article& article) {
  return WithErrorInfo(
      absl::PermissionDeniedError(
          "article: only for people booked on its course; present the "
          "booking's manage token and name the booking"),
      "AUDIENCE_RESTRICTED",
      {{"audience", v1::Article::Audience_Name(article.audience())}});
}

// Searches serve the first this many results, page by page.
constexpr int kMaxSearchResults = 1000;

absl::Status CheckGetRequest(const v1::GetArticleRequest& r) {
  RETURN_IF_ERROR(CheckArticleName(r.name(), "name"));
  if (!r.booking().empty() && !CanonicalBookingName(r.booking())) {
    return MalformedBooking();
  }
  return absl::OkStatus();
}

// The article as the caller receives it: only name and etag when the
// caller's copy is current.
v1::Article Present(const v1::GetArticleRequest& r,
                    const v1::Article& article) {
  if (!r.if_none_match().empty() && r.if_none_match() == article.etag()) {
    CountRead(ReadResult::kNotModified);
    v1::Article unchanged;
    unchanged.set_name(article.name());
    unchanged.set_etag(article.etag());
    return unchanged;
  }
  CountRead(ReadResult::kFull);
  return article;
}

}  // namespace

absl::StatusOr<Reader> ArticleReader::ReaderOf(const Caller& caller,
                                               const std::string& booking) {
  Reader reader;
  reader.admin = caller.admin;
  if (booking.empty() || caller.admin) return reader;
  std::optional<std::string> name = CanonicalBookingName(booking);
  if (!name) return MalformedBooking();
  if (caller.manage_token.empty()) {
    return WithErrorInfo(
        absl::UnauthenticatedError(
            "authorization: the booking's manage token is needed to read "
            "as its holder"),
        "CREDENTIALS_MISSING");
  }
  ASSIGN_OR_RETURN(reader.booking,
                   booking_access_->Check(*name, caller.manage_token));
  return reader;
}

absl::StatusOr<Reader> ArticleReader::ListReaderOf(const Caller& caller,
                                                   const std::string& booking) {
  absl::StatusOr<Reader> reader = ReaderOf(caller, booking);
  if (!absl::IsUnavailable(reader.status())) return reader;
  // Booking cannot say what the token opens: the public articles are
  // still listed, as to anyone.
  return Reader{.admin = caller.admin};
}

absl::StatusOr<ArticleFilters> ArticleReader::FiltersOf(
    const std::string& tag, v1::Article::Kind kind, const std::string& course) {
  std::vector<FieldViolation> violations;
  if (!tag.empty() && !text::IsValidTag(tag)) {
    violations.push_back({"tag", "must be 1 to 40 of a-z, 0-9 and '-'"});
  }
  if (!v1::Article::Kind_IsValid(kind)) {
    violations.push_back({"kind", "must be a known kind"});
  }
  if (!course.empty() && !IsCourseName(course)) {
    violations.push_back({"course", "must be courses/{course}"});
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  return ArticleFilters{.tag = tag, .kind = kind, .course = course};
}

Visibility ArticleReader::VisibilityOf(const Reader& reader, bool unpublished) {
  Visibility visibility;
  visibility.unpublished = unpublished;
  visibility.all_audiences = reader.admin;
  if (reader.booking) {
    visibility.opened_course = reader.booking->course;
    visibility.opened_audiences = AudiencesOpenedBy(*reader.booking);
  }
  return visibility;
}

absl::StatusOr<std::shared_ptr<const v1::Article>> ArticleReader::Load(
    const std::string& name, bool use_cache) {
  if (use_cache && cache_ != nullptr) {
    if (auto cached = cache_->Find(name)) return cached;
  }
  const int64_t epoch = cache_ != nullptr ? cache_->Epoch() : 0;
  std::optional<v1::Article> article;
  RETURN_IF_ERROR(store_->Run(
      ContentStore::Mode::kRead, [&](ContentTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(article, tx.FindArticle(name, true, false));
        return absl::OkStatus();
      }));
  if (!article) return nullptr;
  auto shared = std::make_shared<const v1::Article>(*std::move(article));
  if (cache_ != nullptr) cache_->Put(shared, epoch);
  return shared;
}

std::optional<absl::StatusOr<v1::Article>> ArticleReader::AnswerWithoutBooking(
    const Caller& caller, const v1::GetArticleRequest& r,
    const v1::Article* article) {
  if (article == nullptr ||
      (article->state() != v1::Article::PUBLISHED && !caller.admin)) {
    return ArticleNotFound();
  }
  if (IsRestricted(*article) && !caller.admin) {
    if (!r.booking().empty()) return std::nullopt;
    CountRead(ReadResult::kRestricted);
    return AudienceRestricted(*article);
  }
  return Present(r, *article);
}

absl::StatusOr<v1::Article> ArticleReader::Answer(
    const Caller& caller, const v1::GetArticleRequest& r,
    const v1::Article* article) {
  if (auto answer = AnswerWithoutBooking(caller, r, article)) {
    return *std::move(answer);
  }
  ASSIGN_OR_RETURN(Reader reader, ReaderOf(caller, r.booking()));
  if (!MayRead(reader, *article)) {
    CountRead(ReadResult::kRestricted);
    return AudienceRestricted(*article);
  }
  return Present(r, *article);
}

absl::StatusOr<v1::Article> ArticleReader::GetArticle(
    const Caller& caller, const v1::GetArticleRequest& r) {
  RETURN_IF_ERROR(CheckGetRequest(r));
  ASSIGN_OR_RETURN(std::shared_ptr<const v1::Article> article,
                   Load(r.name(), true));
  return Answer(caller, r, article.get());
}

void ArticleReader::GetArticleAsync(
    const Caller& caller, const v1::GetArticleRequest& r,
    const Offload& offload,
    std::function<void(absl::StatusOr<v1::Article>)> done) {
  if (absl::Status invalid = CheckGetRequest(r); !invalid.ok()) {
    done(invalid);
    return;
  }
  std::shared_ptr<const v1::Article> cached =
      cache_ != nullptr ? cache_->Find(r.name()) : nullptr;
  if (cached != nullptr) {
    if (auto answer = AnswerWithoutBooking(caller, r, cached.get())) {
      done(*std::move(answer));
      return;
    }
  }
  auto shared_done =
      std::make_shared<std::function<void(absl::StatusOr<v1::Article>)>>(
          std::move(done));
  const bool taken = offload([this, caller, &r, cached, shared_done] {
    absl::StatusOr<std::shared_ptr<const v1::Article>> article = cached;
    if (cached == nullptr) article = Load(r.name(), false);
    if (!article.ok()) {
      (*shared_done)(article.status());
      return;
    }
    (*shared_done)(Answer(caller, r, article->get()));
  });
  if (!taken) {
    (*shared_done)(OverloadedError("server busy: too many calls queued"));
  }
}

absl::StatusOr<v1::ListArticlesResponse> ArticleReader::ListArticles(
    const Caller& caller, const v1::ListArticlesRequest& r) {
  ASSIGN_OR_RETURN(int limit, requests::EffectivePageSize(r.page_size()));
  if (r.show_unpublished() && !caller.admin) {
    return WithErrorInfo(
        absl::PermissionDeniedError("show_unpublished: admins only"),
        "ACCESS_DENIED");
  }
  ASSIGN_OR_RETURN(ArticleFilters filters,
                   FiltersOf(r.tag(), r.kind(), r.course()));
  const std::string bound_to = requests::FiltersFingerprint(r);
  ArticleQuery query;
  query.filters = std::move(filters);
  query.limit = limit + 1;
  if (!r.page_token().empty()) {
    ASSIGN_OR_RETURN(query.after,
                     requests::DecodePageToken(r.page_token(), bound_to));
  }
  ASSIGN_OR_RETURN(Reader reader, ListReaderOf(caller, r.booking()));
  query.visibility = VisibilityOf(reader, r.show_unpublished());
  std::vector<v1::Article> articles;
  RETURN_IF_ERROR(store_->Run(
      ContentStore::Mode::kRead, [&](ContentTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(articles, tx.ListArticles(query));
        return absl::OkStatus();
      }));
  v1::ListArticlesResponse response;
  const bool more = static_cast<int>(articles.size()) > limit;
  if (more) {
    articles.resize(limit);
    const v1::Article& last = articles.back();
    response.set_next_page_token(requests::EncodePageToken(
        {absl::AsciiStrToLower(last.title()), last.name()}, bound_to));
  }
  for (v1::Article& article : articles) {
    *response.add_articles() = std::move(article);
  }
  return response;
}

absl::StatusOr<v1::SearchArticlesResponse> ArticleReader::SearchArticles(
    const Caller& caller, const v1::SearchArticlesRequest& r) {
  ASSIGN_OR_RETURN(std::vector<std::string> words, ParseSearchQuery(r.query()));
  ASSIGN_OR_RETURN(int limit,
                   requests::EffectivePageSize(r.page_size(), 10, 50));
  ASSIGN_OR_RETURN(ArticleFilters filters,
                   FiltersOf(r.tag(), r.kind(), r.course()));
  const std::string bound_to = requests::FiltersFingerprint(r);
  SearchQuery query;
  query.filters = std::move(filters);
  query.limit = limit + 1;
  if (!r.page_token().empty()) {
    ASSIGN_OR_RETURN(requests::PageKey key,
                     requests::DecodePageToken(r.page_token(), bound_to));
    if (!absl::SimpleAtoi(key.sort_key, &query.offset) || query.offset < 0) {
      return InvalidArgumentError({{"page_token", "is malformed"}});
    }
  }
  ASSIGN_OR_RETURN(Reader reader, ListReaderOf(caller, r.booking()));
  query.visibility = VisibilityOf(reader, false);
  v1::SearchArticlesResponse response;
  // Only stop words, or paged past the results served: nothing to find.
  if (words.empty() || query.offset >= kMaxSearchResults) {
    CountSearch(false);
    return response;
  }
  limit = std::min(limit, kMaxSearchResults - query.offset);
  query.limit = limit + 1;
  query.words = std::move(words);
  std::vector<SearchHit> hits;
  RETURN_IF_ERROR(store_->Run(ContentStore::Mode::kRead,
                              [&](ContentTransaction& tx) -> absl::Status {
                                ASSIGN_OR_RETURN(hits, tx.Search(query));
                                return absl::OkStatus();
                              }));
  const bool more = static_cast<int>(hits.size()) > limit;
  if (more) hits.resize(limit);
  if (more && query.offset + limit < kMaxSearchResults) {
    response.set_next_page_token(requests::EncodePageToken(
        {absl::StrCat(query.offset + limit), ""}, bound_to));
  }
  for (SearchHit& hit : hits) {
    v1::SearchResult* result = response.add_results();
    *result->mutable_article() = std::move(hit.article);
    result->set_snippet(std::move(hit.snippet));
    result->set_score(hit.score);
  }
  CountSearch(!hits.empty());
  return response;
}

}  // namespace training::content

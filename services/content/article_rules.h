#ifndef TRAINING_SERVICES_CONTENT_ARTICLE_RULES_H_
#define TRAINING_SERVICES_CONTENT_ARTICLE_RULES_H_

// The content service's rules in plain C++: what makes an article valid,
// what an update may touch and when it makes a new revision, the etag, and
// who may read what. No gRPC, no SQL.
//
// Validators return every violation at once, each naming the field by its
// path in the request (`article.title`), never its value.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/status/errors.h"
#include "training/content/v1/resources.pb.h"

namespace training::content {

inline constexpr size_t kMaxTitleLength = 200;
inline constexpr size_t kMaxSummaryLength = 1000;
inline constexpr size_t kMaxBodyLength = 200000;
inline constexpr int kMaxTags = 20;
// cmark-gfm 0.29.0.gfm.6 (Debian 12) takes time growing with the square of
// the number of brackets in a paragraph and of cells in a table row (fixed
// upstream in later releases): a 200,000-character body of either took
// 4.5 and 8.9 s to render here. Within these limits the worst took 0.12 s.
inline constexpr size_t kMaxBodyBrackets = 5000;
inline constexpr size_t kMaxPipesPerLine = 100;
inline constexpr int kMaxCourses = 20;

// The `{article}` of `articles/{article}`; nullopt for any other shape.
std::optional<std::string> ArticleSlug(absl::string_view name);

// INVALID_ARGUMENT on `field` unless `name` is `articles/{article}`.
absl::Status CheckArticleName(absl::string_view name, absl::string_view field);

// NOT_FOUND for an article that does not exist or that the caller may not
// know of (a draft, to anyone but admins).
absl::Status ArticleNotFound();

// `articles/{article}/revisions/{revision}` taken apart.
struct RevisionName {
  std::string article;  // articles/{article}
  int64_t revision = 0;
};
std::optional<RevisionName> ParseRevisionName(absl::string_view name);

// Whether `name` is `courses/{course}` with a valid slug.
bool IsCourseName(absl::string_view name);

// Fills the defaults a stored article always has: kind PAGE, audience
// PUBLIC.
void NormalizeArticle(v1::Article& article);

// Checks the fields a client sets: title, summary, body, tags, kind,
// courses, audience. Violations carry `prefix` (`article`).
void ValidateArticle(const v1::Article& article, absl::string_view prefix,
                     std::vector<FieldViolation>& out);

// Whether going from `before` to `after` changes the text (title, summary
// or body), which makes a new revision.
bool ChangesText(const v1::Article& before, const v1::Article& after);

// The etag of `article` as the caller receives it: a hash of every field
// but the etag itself, so that any change to body, metadata, state, tags,
// kind, courses or audience changes it.
std::string ArticleEtag(const v1::Article& article);

// The article as lists and search show it: the bodies left out.
v1::Article Listed(v1::Article article);

// What a manage token opened, as far as reading is concerned.
struct BookingFacts {
  std::string course;  // courses/{course}
  bool confirmed = false;
  bool attended = false;
};

// Who is reading.
struct Reader {
  bool admin = false;
  // The booking the caller's manage token opened, when one did.
  std::optional<BookingFacts> booking = std::nullopt;
};

bool IsRestricted(const v1::Article& article);

// Whether `reader` may read the published `article`: anyone a PUBLIC one;
// admins anything; a BOOKED one the holder of a confirmed booking on one of
// its courses; an ATTENDED one the holder of such a booking marked
// attended.
bool MayRead(const Reader& reader, const v1::Article& article);

// The restricted audiences `booking` opens on articles of its course, for
// lists and search (empty when it opens none).
std::vector<v1::Article::Audience> AudiencesOpenedBy(
    const BookingFacts& booking);

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_ARTICLE_RULES_H_

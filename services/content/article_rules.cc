#include "services/content/article_rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/auth/api_keys.h"
#include "common/text/text.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace training::content {
namespace {

std::string Field(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

void CheckText(absl::string_view prefix, absl::string_view field,
               const std::string& value, size_t min, size_t max,
               std::vector<FieldViolation>& out) {
  const size_t length = text::Utf8Length(value);
  if (length < min || length > max) {
    out.push_back(
        {Field(prefix, field),
         min == 0 ? absl::StrCat("must be at most ", max, " characters")
                  : absl::StrCat("must be ", min, " to ", max, " characters")});
  }
}

// Bounds the renderer's time (see kMaxBodyBrackets).
void CheckRenderable(absl::string_view prefix, absl::string_view body,
                     std::vector<FieldViolation>& out) {
  size_t brackets = 0;
  size_t pipes = 0;
  size_t most_pipes = 0;
  for (char c : body) {
    if (c == '[') ++brackets;
    if (c == '|') most_pipes = std::max(most_pipes, ++pipes);
    if (c == '\n') pipes = 0;
  }
  if (brackets > kMaxBodyBrackets) {
    out.push_back({Field(prefix, "body_markdown"),
                   absl::StrCat("must hold at most ", kMaxBodyBrackets,
                                " '[' (links and images)")});
  }
  if (most_pipes > kMaxPipesPerLine) {
    out.push_back({Field(prefix, "body_markdown"),
                   absl::StrCat("must hold at most ", kMaxPipesPerLine,
                                " '|' on a line (table cells)")});
  }
}

}  // namespace

std::optional<std::string> ArticleSlug(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "articles/")) return std::nullopt;
  if (!text::IsValidSlug(name)) return std::nullopt;
  return std::string(name);
}

absl::Status CheckArticleName(absl::string_view name, absl::string_view field) {
  if (ArticleSlug(name)) return absl::OkStatus();
  return InvalidArgumentError(
      {{std::string(field), "must be articles/{article} with a valid slug"}});
}

absl::Status ArticleNotFound() {
  return absl::NotFoundError("article: not found");
}

std::optional<RevisionName> ParseRevisionName(absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "articles" || parts[2] != "revisions" ||
      !text::IsValidSlug(parts[1])) {
    return std::nullopt;
  }
  RevisionName parsed;
  if (parts[3].empty() || parts[3].size() > 18 || parts[3][0] == '0' ||
      !std::all_of(parts[3].begin(), parts[3].end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(parts[3], &parsed.revision)) {
    return std::nullopt;
  }
  parsed.article = absl::StrCat("articles/", parts[1]);
  return parsed;
}

bool IsCourseName(absl::string_view name) {
  return absl::ConsumePrefix(&name, "courses/") && text::IsValidSlug(name);
}

void NormalizeArticle(v1::Article& article) {
  if (article.kind() == v1::Article::KIND_UNSPECIFIED) {
    article.set_kind(v1::Article::PAGE);
  }
  if (article.audience() == v1::Article::AUDIENCE_UNSPECIFIED) {
    article.set_audience(v1::Article::PUBLIC);
  }
}

void ValidateArticle(const v1::Article& article, absl::string_view prefix,
                     std::vector<FieldViolation>& out) {
  CheckText(prefix, "title", article.title(), 1, kMaxTitleLength, out);
  CheckText(prefix, "summary", article.summary(), 0, kMaxSummaryLength, out);
  CheckText(prefix, "body_markdown", article.body_markdown(), 1, kMaxBodyLength,
            out);
  CheckRenderable(prefix, article.body_markdown(), out);
  if (article.tags_size() > kMaxTags) {
    out.push_back({Field(prefix, "tags"),
                   absl::StrCat("must be at most ", kMaxTags, " tags")});
  }
  std::set<std::string> tags;
  for (int i = 0; i < article.tags_size(); ++i) {
    if (!text::IsValidTag(article.tags(i)) ||
        !tags.insert(article.tags(i)).second) {
      out.push_back({absl::StrCat(Field(prefix, "tags"), "[", i, "]"),
                     "must be 1 to 40 of a-z, 0-9 and '-', each tag once"});
    }
  }
  if (!v1::Article::Kind_IsValid(article.kind())) {
    out.push_back({Field(prefix, "kind"), "must be a known kind"});
  }
  if (article.courses_size() > kMaxCourses) {
    out.push_back({Field(prefix, "courses"),
                   absl::StrCat("must be at most ", kMaxCourses, " courses")});
  }
  std::set<std::string> courses;
  for (int i = 0; i < article.courses_size(); ++i) {
    if (!IsCourseName(article.courses(i)) ||
        !courses.insert(article.courses(i)).second) {
      out.push_back({absl::StrCat(Field(prefix, "courses"), "[", i, "]"),
                     "must be courses/{course}, each course once"});
    }
  }
  if (!v1::Article::Audience_IsValid(article.audience())) {
    out.push_back({Field(prefix, "audience"), "must be a known audience"});
  } else if (IsRestricted(article) && article.courses().empty()) {
    out.push_back({Field(prefix, "courses"),
                   "must name the course whose bookings open a restricted "
                   "article"});
  }
}

bool ChangesText(const v1::Article& before, const v1::Article& after) {
  return before.title() != after.title() ||
         before.summary() != after.summary() ||
         before.body_markdown() != after.body_markdown();
}

std::string ArticleEtag(const v1::Article& article) {
  v1::Article copy = article;
  copy.clear_etag();
  // Deterministic: the same article always hashes the same.
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy.SerializeToCodedStream(&coded);
  }
  return auth::Sha256Hex(bytes).substr(0, 32);
}

v1::Article Listed(v1::Article article) {
  article.clear_body_markdown();
  article.clear_body_html();
  return article;
}

bool IsRestricted(const v1::Article& article) {
  return article.audience() == v1::Article::BOOKED ||
         article.audience() == v1::Article::ATTENDED;
}

std::vector<v1::Article::Audience> AudiencesOpenedBy(
    const BookingFacts& booking) {
  std::vector<v1::Article::Audience> opened;
  if (!booking.confirmed) return opened;
  opened.push_back(v1::Article::BOOKED);
  if (booking.attended) opened.push_back(v1::Article::ATTENDED);
  return opened;
}

bool MayRead(const Reader& reader, const v1::Article& article) {
  if (!IsRestricted(article) || reader.admin) return true;
  if (!reader.booking) return false;
  const auto& courses = article.courses();
  if (std::find(courses.begin(), courses.end(), reader.booking->course) ==
      courses.end()) {
    return false;
  }
  const std::vector<v1::Article::Audience> opened =
      AudiencesOpenedBy(*reader.booking);
  return std::find(opened.begin(), opened.end(), article.audience()) !=
         opened.end();
}

}  // namespace training::content

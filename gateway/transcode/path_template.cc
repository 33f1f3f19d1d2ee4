#include "gateway/transcode/path_template.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace training::gateway::transcode {
namespace {

using Segment = PathTemplate::Segment;

// Characters a literal may hold: RFC 3986's unreserved and sub-delims, '@',
// and percent escapes (kept as written; the matcher compares decoded text).
bool IsLiteralChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("-._~!$&'()+,;@%").find(c) !=
             absl::string_view::npos;
}

bool IsIdentifier(absl::string_view s) {
  if (s.empty() || absl::ascii_isdigit(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<PathTemplate> Parse() {
    PathTemplate result;
    result.text = std::string(text_);
    if (!Consume('/')) return Error("must start with '/'");
    absl::Status segments = ParseSegments(&result, /*in_variable=*/false);
    if (!segments.ok()) return segments;
    if (Consume(':')) {
      result.verb = TakeLiteral();
      if (result.verb.empty()) return Error("empty custom verb after ':'");
    }
    if (pos_ != text_.size()) return Error("unexpected character");
    for (size_t i = 0; i + 1 < result.segments.size(); ++i) {
      if (result.segments[i].kind == Segment::Kind::kDoubleWildcard) {
        return absl::InvalidArgumentError(absl::StrCat(
            "path template \"", text_, "\": '**' must be the last segment"));
      }
    }
    return result;
  }

 private:
  absl::Status ParseSegments(PathTemplate* out, bool in_variable) {
    do {
      if (!in_variable && Peek() == '{') {
        absl::Status variable = ParseVariable(out);
        if (!variable.ok()) return variable;
        continue;
      }
      Segment segment;
      if (Consume('*')) {
        segment.kind = Consume('*') ? Segment::Kind::kDoubleWildcard
                                    : Segment::Kind::kWildcard;
      } else {
        segment.literal = TakeLiteral();
        if (segment.literal.empty()) return Error("empty path segment");
      }
      out->segments.push_back(std::move(segment));
    } while (Consume('/'));
    return absl::OkStatus();
  }

  absl::Status ParseVariable(PathTemplate* out) {
    Consume('{');
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != '=' && text_[pos_] != '}') {
      ++pos_;
    }
    PathTemplate::Variable variable;
    for (absl::string_view part :
         absl::StrSplit(text_.substr(start, pos_ - start), '.')) {
      if (!IsIdentifier(part)) return Error("bad field path in variable");
      variable.field_path.emplace_back(part);
    }
    for (const PathTemplate::Variable& other : out->variables) {
      if (other.field_path == variable.field_path) {
        return Error("a field is bound by two variables");
      }
    }
    variable.first_segment = static_cast<int>(out->segments.size());
    if (Consume('=')) {
      absl::Status inner = ParseSegments(out, /*in_variable=*/true);
      if (!inner.ok()) return inner;
    } else {
      out->segments.push_back({Segment::Kind::kWildcard, ""});
    }
    if (!Consume('}')) return Error("expected '}'");
    variable.end_segment = static_cast<int>(out->segments.size());
    out->variables.push_back(std::move(variable));
    return absl::OkStatus();
  }

  std::string TakeLiteral() {
    size_t start = pos_;
    while (pos_ < text_.size() && IsLiteralChar(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "path template \"", text_, "\" at column ", pos_ + 1, ": ", what));
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<PathTemplate> ParsePathTemplate(absl::string_view text) {
  return Parser(text).Parse();
}

}  // namespace training::gateway::transcode

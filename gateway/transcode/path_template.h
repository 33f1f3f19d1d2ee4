#ifndef TRAINING_GATEWAY_TRANSCODE_PATH_TEMPLATE_H_
#define TRAINING_GATEWAY_TRANSCODE_PATH_TEMPLATE_H_

// A `google.api.http` path template, parsed. The grammar
// (google/api/http.proto):
//
//   Template = "/" Segments [ Verb ] ;
//   Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;
//   Variable = "{" FieldPath [ "=" Segments ] "}" ;
//   FieldPath = IDENT { "." IDENT } ;
//   Verb     = ":" LITERAL ;
//
// `{x}` is short for `{x=*}`; `**` (zero or more segments) may only be the
// last segment. Parsing is the first of grpc-gateway's three steps (parse,
// compile, match); PathMatcher does the other two.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace training::gateway::transcode {

struct PathTemplate {
  struct Segment {
    enum class Kind { kLiteral, kWildcard, kDoubleWildcard };
    Kind kind = Kind::kLiteral;
    std::string literal;  // for kLiteral
  };
  // A variable binds the path segments [first_segment, end_segment) to the
  // request field `field_path` (names as written: proto names).
  struct Variable {
    std::vector<std::string> field_path;
    int first_segment = 0;
    int end_segment = 0;
  };

  std::string text;  // as written in the rule, e.g. "/v1/{name=courses/*}"
  std::vector<Segment> segments;
  std::vector<Variable> variables;
  std::string verb;  // the custom verb without its colon; empty if none

  bool ends_with_double_wildcard() const {
    return !segments.empty() &&
           segments.back().kind == Segment::Kind::kDoubleWildcard;
  }
};

// INVALID_ARGUMENT naming the position and the problem.
absl::StatusOr<PathTemplate> ParsePathTemplate(absl::string_view text);

}  // namespace training::gateway::transcode

#endif  // TRAINING_GATEWAY_TRANSCODE_PATH_TEMPLATE_H_

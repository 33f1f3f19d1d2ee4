#include "gateway/openapi/openapi_path.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace training::gateway::openapi {
namespace {

using Segment = transcode::PathTemplate::Segment;

// The variable that binds segment `index`, or nullptr.
const transcode::PathTemplate::Variable* VariableAt(
    const transcode::PathTemplate& path, int index) {
  for (const auto& variable : path.variables) {
    if (index >= variable.first_segment && index < variable.end_segment) {
      return &variable;
    }
  }
  return nullptr;
}

}  // namespace

std::string Singular(const std::string& plural) {
  if (absl::EndsWith(plural, "ies") && plural.size() > 3) {
    return plural.substr(0, plural.size() - 3) + "y";
  }
  if (absl::EndsWith(plural, "s") && !absl::EndsWith(plural, "ss") &&
      plural.size() > 1) {
    return plural.substr(0, plural.size() - 1);
  }
  return plural;
}

OpenApiPath ToOpenApiPath(const transcode::PathTemplate& path) {
  OpenApiPath out;
  std::set<std::string> used;
  std::vector<std::string> parts;
  // Each variable's own pattern, built as its segments are written.
  std::vector<std::string> variable_parts;
  std::vector<size_t> variable_parameters;
  const transcode::PathTemplate::Variable* current = nullptr;
  auto finish_variable = [&] {
    for (size_t p : variable_parameters) {
      out.parameters[p].pattern = absl::StrJoin(variable_parts, "/");
    }
    variable_parts.clear();
    variable_parameters.clear();
  };
  for (int i = 0; i < static_cast<int>(path.segments.size()); ++i) {
    const Segment& segment = path.segments[i];
    const auto* variable = VariableAt(path, i);
    if (variable != current) {
      finish_variable();
      current = variable;
    }
    if (segment.kind == Segment::Kind::kLiteral) {
      parts.push_back(segment.literal);
      if (variable != nullptr) variable_parts.push_back(segment.literal);
      continue;
    }
    PathParameter parameter;
    parameter.field =
        variable != nullptr ? absl::StrJoin(variable->field_path, ".") : "";
    parameter.whole_field =
        variable != nullptr &&
        variable->end_segment - variable->first_segment == 1;
    parameter.many_segments = segment.kind == Segment::Kind::kDoubleWildcard;
    // Named after the collection before it, unless the variable is this
    // one segment (then after its field).
    std::string name;
    if (!parameter.whole_field && i > 0 &&
        path.segments[i - 1].kind == Segment::Kind::kLiteral) {
      name = Singular(path.segments[i - 1].literal);
    } else if (!parameter.field.empty()) {
      name = parameter.field;
    } else {
      name = "segment";
    }
    std::string unique = name;
    for (int n = 2; !used.insert(unique).second; ++n) {
      unique = absl::StrCat(name, n);
    }
    parameter.name = unique;
    parts.push_back(absl::StrCat("{", unique, "}"));
    if (variable != nullptr) {
      variable_parts.push_back(absl::StrCat("{", unique, "}"));
      variable_parameters.push_back(out.parameters.size());
    }
    out.parameters.push_back(std::move(parameter));
  }
  finish_variable();
  out.path = absl::StrCat("/", absl::StrJoin(parts, "/"));
  if (!path.verb.empty()) absl::StrAppend(&out.path, ":", path.verb);
  return out;
}

}  // namespace training::gateway::openapi

#include "gateway/transcode/path_matcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace training::gateway::transcode {

using Kind = PathTemplate::Segment::Kind;

struct PathMatcher::Node {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
  std::unique_ptr<Node> wildcard;
  std::unique_ptr<Node> double_wildcard;
  // verb → method → entry index.
  std::map<std::string, std::map<std::string, int>> ends;
};

PathMatcher::PathMatcher() : root_(std::make_unique<Node>()) {}
PathMatcher::~PathMatcher() = default;

absl::Status PathMatcher::Add(absl::string_view http_method,
                              const PathTemplate& path, int route) {
  Node* node = root_.get();
  for (const PathTemplate::Segment& segment : path.segments) {
    std::unique_ptr<Node>* next = nullptr;
    switch (segment.kind) {
      case Kind::kLiteral: {
        std::optional<std::string> literal = PercentDecode(segment.literal);
        if (!literal.has_value()) {
          return absl::InvalidArgumentError(
              absl::StrCat("path template \"", path.text, "\": bad escape"));
        }
        next = &node->literals[*literal];
        break;
      }
      case Kind::kWildcard:
        next = &node->wildcard;
        break;
      case Kind::kDoubleWildcard:
        next = &node->double_wildcard;
        break;
    }
    if (*next == nullptr) *next = std::make_unique<Node>();
    node = next->get();
  }
  auto [it, added] = node->ends[path.verb].try_emplace(
      std::string(http_method), static_cast<int>(entries_.size()));
  if (!added) {
    return absl::AlreadyExistsError(absl::StrCat(
        "route conflict: ", http_method, " ", path.text, " and ", http_method,
        " ", entries_[it->second].path.text, " match the same requests"));
  }
  entries_.push_back({std::string(http_method), path, route});
  return absl::OkStatus();
}

const PathMatcher::Node* PathMatcher::Walk(
    const Node* node, const std::vector<std::string>& segments, size_t i,
    const std::string& verb, absl::string_view http_method, int* entry,
    std::vector<std::string>* methods) const {
  auto accept = [&](const Node* end) -> bool {
    auto by_verb = end->ends.find(verb);
    if (by_verb == end->ends.end()) return false;
    if (methods != nullptr) {
      for (const auto& [method, index] : by_verb->second) {
        methods->push_back(method);
      }
      return false;  // keep looking: every method under any shape counts
    }
    auto by_method = by_verb->second.find(std::string(http_method));
    if (by_method == by_verb->second.end()) return false;
    *entry = by_method->second;
    return true;
  };
  if (i == segments.size()) {
    if (accept(node)) return node;
  } else if (!segments[i].empty()) {
    auto literal = node->literals.find(segments[i]);
    if (literal != node->literals.end()) {
      if (const Node* found = Walk(literal->second.get(), segments, i + 1, verb,
                                   http_method, entry, methods)) {
        return found;
      }
    }
    if (node->wildcard != nullptr) {
      if (const Node* found = Walk(node->wildcard.get(), segments, i + 1, verb,
                                   http_method, entry, methods)) {
        return found;
      }
    }
  }
  // `**` takes whatever is left, none included (but no empty segment).
  if (node->double_wildcard != nullptr) {
    for (size_t j = i; j < segments.size(); ++j) {
      if (segments[j].empty()) return nullptr;
    }
    if (accept(node->double_wildcard.get())) {
      return node->double_wildcard.get();
    }
  }
  return nullptr;
}

std::optional<PathMatcher::Match> PathMatcher::Bind(
    const Entry& entry, const std::vector<std::string>& raw) const {
  const PathTemplate& path = entry.path;
  Match match;
  match.route = entry.route;
  // Template segment i covers raw segment i, except a final `**`, which
  // covers the rest.
  for (const PathTemplate::Variable& variable : path.variables) {
    size_t begin = static_cast<size_t>(variable.first_segment);
    size_t end = static_cast<size_t>(variable.end_segment);
    if (variable.end_segment == static_cast<int>(path.segments.size()) &&
        path.ends_with_double_wildcard()) {
      end = raw.size();
    }
    const bool single =
        variable.end_segment - variable.first_segment == 1 &&
        path.segments[variable.first_segment].kind == Kind::kWildcard;
    std::vector<std::string> parts;
    for (size_t i = begin; i < end && i < raw.size(); ++i) {
      std::optional<std::string> part = PercentDecode(raw[i], !single);
      if (!part.has_value()) return std::nullopt;
      parts.push_back(*std::move(part));
    }
    match.values.push_back(absl::StrJoin(parts, "/"));
  }
  return match;
}

namespace {

// The path's segments and verb: once with the last segment's ":verb" split
// off, once without (a colon may belong to a literal or variable).
std::vector<std::pair<std::vector<std::string>, std::string>> Readings(
    absl::string_view path) {
  std::vector<std::pair<std::vector<std::string>, std::string>> readings;
  if (path.empty() || path[0] != '/') return readings;
  std::vector<std::string> raw = absl::StrSplit(path.substr(1), '/');
  size_t colon = raw.back().rfind(':');
  if (colon != std::string::npos) {
    std::vector<std::string> split = raw;
    std::string verb = split.back().substr(colon + 1);
    split.back().resize(colon);
    readings.emplace_back(std::move(split), std::move(verb));
  }
  readings.emplace_back(std::move(raw), "");
  return readings;
}

}  // namespace

std::optional<PathMatcher::Match> PathMatcher::Find(
    absl::string_view http_method, absl::string_view path) const {
  for (auto& [raw, verb] : Readings(path)) {
    std::vector<std::string> decoded;
    for (const std::string& segment : raw) {
      std::optional<std::string> text = PercentDecode(segment);
      if (!text.has_value()) return std::nullopt;
      decoded.push_back(*std::move(text));
    }
    std::optional<std::string> verb_text = PercentDecode(verb);
    if (!verb_text.has_value()) return std::nullopt;
    int entry = -1;
    if (Walk(root_.get(), decoded, 0, *verb_text, http_method, &entry,
             nullptr) != nullptr) {
      return Bind(entries_[entry], raw);
    }
    // The verb names a route, under another method: that is a 405, not a
    // name with a colon in it for a verbless route.
    std::vector<std::string> methods;
    if (!verb.empty()) {
      Walk(root_.get(), decoded, 0, *verb_text, "", &entry, &methods);
      if (!methods.empty()) return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<std::string> PathMatcher::AllowedMethods(
    absl::string_view path) const {
  std::vector<std::string> methods;
  for (auto& [raw, verb] : Readings(path)) {
    std::vector<std::string> decoded;
    for (const std::string& segment : raw) {
      std::optional<std::string> text = PercentDecode(segment);
      if (!text.has_value()) return {};
      decoded.push_back(*std::move(text));
    }
    std::optional<std::string> verb_text = PercentDecode(verb);
    if (!verb_text.has_value()) return {};
    int entry = -1;
    Walk(root_.get(), decoded, 0, *verb_text, "", &entry, &methods);
    if (!methods.empty()) break;  // as Find: a verb that names routes wins
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  return methods;
}

std::optional<std::string> PercentDecode(absl::string_view text,
                                         bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size() ||
        !absl::ascii_isxdigit(static_cast<unsigned char>(text[i + 1])) ||
        !absl::ascii_isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      return std::nullopt;
    }
    auto hex = [](char c) {
      return absl::ascii_isdigit(static_cast<unsigned char>(c))
                 ? c - '0'
                 : absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' +
                       10;
    };
    char c = static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
    if (keep_slash && c == '/') {
      out.append(text.data() + i, 3);
    } else {
      out.push_back(c);
    }
    i += 2;
  }
  return out;
}

}  // namespace training::gateway::transcode

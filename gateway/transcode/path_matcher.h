#ifndef TRAINING_GATEWAY_TRANSCODE_PATH_MATCHER_H_
#define TRAINING_GATEWAY_TRANSCODE_PATH_MATCHER_H_

// Compiled path templates: a trie of segments per template shape, so that
// finding a request's route costs the path's length, not the number of
// routes. At each segment a literal is preferred to `*`, and `*` to `**`;
// two routes of the same method, shape and verb are refused when added, so
// no route can silently shadow another.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gateway/transcode/path_template.h"

namespace training::gateway::transcode {

class PathMatcher {
 public:
  PathMatcher();
  ~PathMatcher();
  PathMatcher(const PathMatcher&) = delete;
  PathMatcher& operator=(const PathMatcher&) = delete;

  // Adds `path` under `http_method` (GET, POST, ...) as route number `route`.
  // ALREADY_EXISTS naming both templates when it would shadow one added
  // before.
  absl::Status Add(absl::string_view http_method, const PathTemplate& path,
                   int route);

  struct Match {
    int route = -1;
    // The value of each of the route template's variables, in order:
    // percent-decoded; a variable over several segments keeps "%2F" escaped.
    std::vector<std::string> values;
  };
  // `path` is the request target's path, without the query.
  std::optional<Match> Find(absl::string_view http_method,
                            absl::string_view path) const;
  // The methods under which `path` has a route (for 405's Allow header).
  std::vector<std::string> AllowedMethods(absl::string_view path) const;

 private:
  struct Node;
  struct Entry {
    std::string http_method;
    PathTemplate path;
    int route;
  };
  // Finds the entry for the decoded segments and verb, any method when
  // `http_method` is empty (then `methods` collects them).
  const Node* Walk(const Node* node, const std::vector<std::string>& segments,
                   size_t i, const std::string& verb,
                   absl::string_view http_method, int* entry,
                   std::vector<std::string>* methods) const;
  std::optional<Match> Bind(const Entry& entry,
                            const std::vector<std::string>& raw) const;

  std::unique_ptr<Node> root_;
  std::vector<Entry> entries_;
};

// Percent-decodes `text`; nullopt on a malformed escape. With `keep_slash`,
// "%2F" stays as written (a multi-segment variable's rule).
std::optional<std::string> PercentDecode(absl::string_view text,
                                         bool keep_slash = false);

}  // namespace training::gateway::transcode

#endif  // TRAINING_GATEWAY_TRANSCODE_PATH_MATCHER_H_

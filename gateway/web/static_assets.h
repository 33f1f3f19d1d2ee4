#ifndef TRAINING_GATEWAY_WEB_STATIC_ASSETS_H_
#define TRAINING_GATEWAY_WEB_STATIC_ASSETS_H_

// The pages' stylesheet, scripts and images, read once at start from the
// folder the build wrote them to and served under a versioned prefix,
// `/assets/<version>/<file>`, where the version is a hash of every file:
// a new build changes every URL, so browsers may keep each one for a year
// (Cache-Control: immutable) and never mix an old stylesheet with new
// markup. One version for the whole set keeps the scripts' relative
// imports working. Thread-safe after Load.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/http/http_server.h"

namespace training::gateway::web {

class StaticAssets {
 public:
  // Reads every regular file directly in `dir`. NOT_FOUND when the folder
  // is missing or empty (the build did not run the asset step).
  static absl::StatusOr<std::unique_ptr<StaticAssets>> Load(
      const std::string& dir);

  // `/assets/<version>/<file>`, for the pages' links.
  std::string Url(absl::string_view file) const;
  const std::string& version() const { return version_; }

  // The answer to a GET under /assets/: the file with long-lived cache
  // headers, or nullopt when the path names no file of this version (an
  // old version after a deploy is a 404: the page that asked is stale).
  std::optional<http::HttpResponse> Serve(absl::string_view path) const;

 private:
  struct File {
    std::string content_type;
    std::string body;
  };
  std::string version_;
  std::map<std::string, File, std::less<>> files_;
};

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_STATIC_ASSETS_H_

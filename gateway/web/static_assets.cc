#include "gateway/web/static_assets.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/auth/api_keys.h"

namespace training::gateway::web {
namespace {

constexpr absl::string_view kPrefix = "/assets/";

std::string ContentTypeOf(absl::string_view name) {
  if (absl::EndsWith(name, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(name, ".js") || absl::EndsWith(name, ".mjs")) {
    return "text/javascript; charset=utf-8";
  }
  if (absl::EndsWith(name, ".svg")) return "image/svg+xml";
  if (absl::EndsWith(name, ".png")) return "image/png";
  if (absl::EndsWith(name, ".ico")) return "image/x-icon";
  if (absl::EndsWith(name, ".map")) return "application/json";
  return "application/octet-stream";
}

}  // namespace

absl::StatusOr<std::unique_ptr<StaticAssets>> StaticAssets::Load(
    const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("web assets folder ", dir, ": ", ec.message()));
  }
  auto assets = std::unique_ptr<StaticAssets>(new StaticAssets());
  std::string all;  // every name and body, in name order, for the version
  for (const auto& entry : it) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream body;
    body << in.rdbuf();
    if (!in.good() && !in.eof()) {
      return absl::InternalError(
          absl::StrCat("could not read ", entry.path().string()));
    }
    const std::string name = entry.path().filename().string();
    assets->files_[name] = {ContentTypeOf(name), body.str()};
  }
  if (assets->files_.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "web assets folder ", dir, " is empty: build the gateway first"));
  }
  for (const auto& [name, file] : assets->files_) {
    absl::StrAppend(&all, name, "\n", file.body.size(), "\n", file.body);
  }
  assets->version_ = auth::Sha256Hex(all).substr(0, 16);
  return assets;
}

std::string StaticAssets::Url(absl::string_view file) const {
  return absl::StrCat(kPrefix, version_, "/", file);
}

std::optional<http::HttpResponse> StaticAssets::Serve(
    absl::string_view path) const {
  if (!absl::ConsumePrefix(&path, kPrefix) ||
      !absl::ConsumePrefix(&path, version_) ||
      !absl::ConsumePrefix(&path, "/")) {
    return std::nullopt;
  }
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  http::HttpResponse response;
  response.content_type = it->second.content_type;
  response.body = it->second.body;
  response.headers = {{"Cache-Control", "public, max-age=31536000, immutable"}};
  return response;
}

}  // namespace training::gateway::web

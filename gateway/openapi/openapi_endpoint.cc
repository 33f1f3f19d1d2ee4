#include "gateway/openapi/openapi_endpoint.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gateway/transcode/header_mapping.h"

namespace training::gateway::openapi {

absl::StatusOr<std::unique_ptr<OpenApiEndpoint>> OpenApiEndpoint::Create(
    const transcode::RouteTable& routes, const DocumentOptions& options) {
  auto comments = DescriptorComments::Embedded();
  if (!comments.ok()) return comments.status();
  std::string document =
      BuildOpenApiDocument(routes, **comments, options).dump();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(document.data()),
         document.size(), digest);
  std::string etag = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), 16));
  return std::unique_ptr<OpenApiEndpoint>(
      new OpenApiEndpoint(std::move(document), std::move(etag)));
}

http::HttpResponse OpenApiEndpoint::Answer(
    const http::HttpRequest& request) const {
  http::HttpResponse response;
  response.headers.emplace_back("ETag", transcode::EtagHeader(etag_));
  response.headers.emplace_back("Cache-Control", "public, max-age=300");
  if (transcode::IfNoneMatchHits(request.Header("if-none-match"), etag_)) {
    response.status = 304;
    return response;
  }
  response.body = document_;
  return response;
}

}  // namespace training::gateway::openapi

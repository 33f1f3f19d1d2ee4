#include "gateway/openapi/openapi_endpoint.h"

#include "absl/strings/str_cat.h"
#include "common/auth/api_keys.h"
#include "gateway/transcode/header_mapping.h"

namespace training::gateway::openapi {

absl::StatusOr<std::unique_ptr<OpenApiEndpoint>> OpenApiEndpoint::Create(
    const transcode::RouteTable& routes, const DocumentOptions& options) {
  auto comments = DescriptorComments::Embedded();
  if (!comments.ok()) return comments.status();
  std::string document =
      BuildOpenApiDocument(routes, **comments, options).dump();
  std::string etag = auth::Sha256Hex(document).substr(0, 32);
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

#ifndef TRAINING_GATEWAY_OPENAPI_OPENAPI_ENDPOINT_H_
#define TRAINING_GATEWAY_OPENAPI_OPENAPI_ENDPOINT_H_

// GET /openapi.json: the document built once at start-up from the routes
// the gateway serves, with an ETag so that tools revalidate cheaply.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/http/http_server.h"
#include "gateway/openapi/openapi_document.h"

namespace training::gateway::openapi {

inline constexpr char kOpenApiPath[] = "/openapi.json";

class OpenApiEndpoint {
 public:
  static absl::StatusOr<std::unique_ptr<OpenApiEndpoint>> Create(
      const transcode::RouteTable& routes, const DocumentOptions& options);

  // 200 with the document, or 304 when If-None-Match names its ETag.
  http::HttpResponse Answer(const http::HttpRequest& request) const;

  const std::string& document() const { return document_; }

 private:
  OpenApiEndpoint(std::string document, std::string etag)
      : document_(std::move(document)), etag_(std::move(etag)) {}

  const std::string document_;
  const std::string etag_;
};

}  // namespace training::gateway::openapi

#endif  // TRAINING_GATEWAY_OPENAPI_OPENAPI_ENDPOINT_H_

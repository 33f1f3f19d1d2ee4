#ifndef TRAINING_GATEWAY_OPENAPI_OPENAPI_DOCUMENT_H_
#define TRAINING_GATEWAY_OPENAPI_OPENAPI_DOCUMENT_H_

// The OpenAPI 3.1 document of the REST API, built from the same route
// table the gateway serves (so the two cannot differ) and the contract's
// comments: one operation per route, with its path, query and header
// parameters, request and response schemas, the error responses it can
// give, and the credentials its access rule admits.

#include <string>

#include "gateway/openapi/descriptor_comments.h"
#include "gateway/openapi/json_schema.h"
#include "gateway/transcode/route_table.h"

namespace training::gateway::openapi {

struct DocumentOptions {
  // The API's address as clients reach it ("https://training.example.org");
  // "/" when the document is read from the gateway that serves the API.
  std::string server_url = "/";
  // The API's version as the document states it.
  std::string version = "1.0.0";
};

Json BuildOpenApiDocument(const transcode::RouteTable& routes,
                          const DescriptorComments& comments,
                          const DocumentOptions& options);

// The operationId of each route, in route order: the RPC's name, qualified
// by its service when two services share a name, and numbered for a
// method's additional bindings.
std::vector<std::string> OperationIds(const transcode::RouteTable& routes);

}  // namespace training::gateway::openapi

#endif  // TRAINING_GATEWAY_OPENAPI_OPENAPI_DOCUMENT_H_

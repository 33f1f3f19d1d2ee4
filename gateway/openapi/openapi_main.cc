// training_openapi: prints the REST API's OpenAPI 3.1 document, the one the
// gateway serves at /openapi.json, without starting anything.

#include <iostream>

#include "absl/flags/flag.h"
#include "common/config/flags.h"
#include "gateway/openapi/openapi_document.h"
#include "gateway/transcode/suite_services.h"

ABSL_FLAG(std::string, server_url, "/",
          "The API's address as clients will reach it, for the document's "
          "`servers`.");

int main(int argc, char** argv) {
  training::config::ParseFlagsOrExit(
      argc, argv,
      "usage: training_openapi [--server_url=URL] > openapi.json\n"
      "Prints the gateway's OpenAPI 3.1 document (the one it serves at "
      "/openapi.json).");
  auto routes = training::gateway::transcode::RouteTable::Build(
      training::gateway::transcode::SuiteServices());
  auto comments = training::gateway::openapi::DescriptorComments::Embedded();
  if (!routes.ok() || !comments.ok()) {
    std::cerr << "training_openapi: "
              << (routes.ok() ? comments.status() : routes.status()) << "\n";
    return 1;
  }
  training::gateway::openapi::DocumentOptions options;
  options.server_url = absl::GetFlag(FLAGS_server_url);
  std::cout << training::gateway::openapi::BuildOpenApiDocument(
                   **routes, **comments, options)
                   .dump(2)
            << "\n";
  return 0;
}

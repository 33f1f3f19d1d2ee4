#ifndef TRAINING_GATEWAY_TRANSCODE_ROUTE_TABLE_H_
#define TRAINING_GATEWAY_TRANSCODE_ROUTE_TABLE_H_

// The gateway's routes, read at start-up from the `google.api.http` rules
// (additional bindings included) of every RPC of the services it fronts.
// Nothing here is written per route: a new RPC with a rule is a new route.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/transcode/path_matcher.h"
#include "gateway/transcode/path_template.h"
#include "google/protobuf/descriptor.h"
#include "training/api/v1/access.pb.h"

namespace training::gateway::transcode {

// A field reached from a message through its sub-messages.
using FieldPath = std::vector<const google::protobuf::FieldDescriptor*>;

// "a.b" from a field path, in proto names.
std::string FieldPathName(const FieldPath& path);

struct Route {
  std::string http_method;  // GET, POST, PATCH, DELETE, PUT or a custom kind
  PathTemplate path;
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string backend;    // which backend serves it: "catalogue", ...
  std::string grpc_path;  // "/training.catalogue.v1.CatalogueService/GetCourse"
  // The request field each path variable sets, in PathTemplate order.
  std::vector<FieldPath> variables;
  enum class Body { kNone, kWhole, kField };
  Body body = Body::kNone;
  const google::protobuf::FieldDescriptor* body_field = nullptr;  // kField
  // The response field sent as the body; nullptr sends the whole response.
  const google::protobuf::FieldDescriptor* response_field = nullptr;
  training::api::v1::AccessRule access;
  // The request's top-level string `request_id`, when it has one (the
  // Idempotency-Key header maps to it).
  const google::protobuf::FieldDescriptor* request_id = nullptr;

  // "GET /v1/{name=courses/*}": how metrics and logs name the route.
  std::string Name() const { return http_method + " " + path.text; }
};

class RouteTable {
 public:
  // A gRPC service the gateway fronts and the backend that serves it.
  struct Service {
    std::string backend;    // "catalogue"
    std::string full_name;  // "training.catalogue.v1.CatalogueService"
  };

  // Reads every RPC of `services` from `pool` (the generated pool unless
  // given). INVALID_ARGUMENT for a rule that cannot be served (a bad
  // template, an unknown field); ALREADY_EXISTS for two rules that would
  // match the same requests.
  static absl::StatusOr<std::unique_ptr<RouteTable>> Build(
      const std::vector<Service>& services,
      const google::protobuf::DescriptorPool* pool = nullptr);

  const std::vector<Route>& routes() const { return routes_; }

  struct Found {
    const Route* route = nullptr;
    std::vector<std::string> values;  // one per path variable
  };
  std::optional<Found> Find(absl::string_view http_method,
                            absl::string_view path) const;
  // The methods `path` has routes for; empty when it has none (404, not 405).
  std::vector<std::string> AllowedMethods(absl::string_view path) const {
    return matcher_.AllowedMethods(path);
  }

 private:
  RouteTable() = default;
  absl::Status Add(Route route);

  std::vector<Route> routes_;
  PathMatcher matcher_;
};

// Resolves a dotted path of field names (proto names, and also JSON names
// when `json_names_too`) from `message`; INVALID_ARGUMENT naming the part
// that is not a field or crosses a non-message or repeated field.
absl::StatusOr<FieldPath> ResolveFieldPath(
    const google::protobuf::Descriptor* message, absl::string_view dotted,
    bool json_names_too);

}  // namespace training::gateway::transcode

#endif  // TRAINING_GATEWAY_TRANSCODE_ROUTE_TABLE_H_

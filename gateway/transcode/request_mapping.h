#ifndef TRAINING_GATEWAY_TRANSCODE_REQUEST_MAPPING_H_
#define TRAINING_GATEWAY_TRANSCODE_REQUEST_MAPPING_H_

// HTTP → protobuf: builds a route's gRPC request from the path's variables,
// the query string and the body, by the rules of google/api/http.proto and
// protobuf's JSON mapping. Every refusal is INVALID_ARGUMENT with a
// google.rpc.BadRequest naming the field or parameter (never its value).
//
// Query parameters may set any field that neither the path nor the body
// sets: nested by dots (`inner.label=x`), repeated by repetition
// (`tags=a&tags=b`), proto or JSON names, enums by name, Timestamps in
// RFC 3339, Durations as "1.5s", FieldMasks as "a,b" and wrappers by their
// value. A body that sets a field the path binds must give the path's value
// (INVALID_ARGUMENT "differs from the path" otherwise).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/transcode/route_table.h"
#include "google/protobuf/message.h"

namespace training::gateway::transcode {

struct HttpRequestParts {
  std::vector<std::string> path_values;  // RouteTable::Found::values
  absl::string_view query;               // after '?', undecoded
  absl::string_view body;
  absl::string_view content_type;  // for google.api.HttpBody requests
};

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> BuildRequest(
    const Route& route, const HttpRequestParts& parts);

// A new, empty message of `type` (generated when it is, dynamic otherwise).
std::unique_ptr<google::protobuf::Message> NewMessage(
    const google::protobuf::Descriptor* type);

// Sets `path` (whose leaf is a scalar, enum, wrapper, Timestamp, Duration or
// FieldMask, maybe repeated) in `message` from its text form, appending when
// repeated. The description of the rule broken when it does not parse.
absl::Status SetFromText(google::protobuf::Message* message,
                         const FieldPath& path, absl::string_view text);

}  // namespace training::gateway::transcode

#endif  // TRAINING_GATEWAY_TRANSCODE_REQUEST_MAPPING_H_

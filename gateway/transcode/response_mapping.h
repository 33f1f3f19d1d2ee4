#ifndef TRAINING_GATEWAY_TRANSCODE_RESPONSE_MAPPING_H_
#define TRAINING_GATEWAY_TRANSCODE_RESPONSE_MAPPING_H_

// protobuf → HTTP: a route's gRPC response as the HTTP body. JSON by
// protobuf's mapping, lowerCamel names, every scalar field printed (a 0 or
// an empty list is shown, not left out); `response_body` sends one field;
// google.api.HttpBody is sent as it is, with its own content type.

#include <string>

#include "gateway/transcode/route_table.h"
#include "google/protobuf/message.h"

namespace training::gateway::transcode {

struct ResponseBody {
  std::string content_type;
  std::string body;
};

// `wire` is `response` as the backend sent it (its serialized bytes), or
// "": printing JSON straight from them spares protobuf serializing the
// parsed message again, which its own printer does first.
ResponseBody BuildResponseBody(const Route& route,
                               const google::protobuf::Message& response,
                               const std::string& wire = "");

// `message` as the gateway's JSON.
std::string ToJson(const google::protobuf::Message& message);

// `text` as a JSON string literal, quotes included.
std::string JsonString(absl::string_view text);

}  // namespace training::gateway::transcode

#endif  // TRAINING_GATEWAY_TRANSCODE_RESPONSE_MAPPING_H_

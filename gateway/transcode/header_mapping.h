#ifndef TRAINING_GATEWAY_TRANSCODE_HEADER_MAPPING_H_
#define TRAINING_GATEWAY_TRANSCODE_HEADER_MAPPING_H_

// HTTP headers that map to request and response fields, found by the
// contract's field names rather than per route:
//
// - Idempotency-Key → the request's top-level `request_id`, when the body
//   sets none. From a caller with credentials, any key (1–255 visible ASCII
//   characters) becomes the UUID version 5 of
//   "<hex SHA-256 of the Authorization value>:<key>" in the namespace
//   kIdempotencyNamespace: stable for that caller, and two callers' keys
//   never meet. Without credentials there is nothing to scope by, so the
//   key must be a UUID (a random one), used as it is, lower-cased.
// - If-Match → the request's `etag`: its own top-level field, or that of
//   the resource in the body (UpdateCourse's `course.etag`).
// - A response's top-level `etag` → ETag; If-None-Match compares with it,
//   and on a GET whose request has an `if_none_match` field (GetArticle)
//   it is also passed on, so that the service can skip sending what the
//   caller already holds.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/transcode/route_table.h"
#include "google/protobuf/message.h"

namespace training::gateway::transcode {

inline constexpr char kIdempotencyNamespace[] =
    "3f8d2a51-6c0e-4b7a-9e14-7d2c5b8a90f6";

// The request_id an Idempotency-Key stands for; INVALID_ARGUMENT on the
// header when the key is empty, too long or not visible ASCII.
absl::StatusOr<std::string> RequestIdForKey(absl::string_view key,
                                            absl::string_view authorization);

// Sets the request's request_id from `key` unless the body set one.
// INVALID_ARGUMENT when the route's request has no request_id and is not a
// GET or DELETE (a key that would be ignored must not look honoured).
absl::Status ApplyIdempotencyKey(const Route& route, absl::string_view key,
                                 absl::string_view authorization,
                                 google::protobuf::Message* request);

// Sets the request's etag from If-Match (`"abc"`; `*` asks for no check).
// ABORTED ETAG_MISMATCH (412) for a weak tag, which never matches;
// INVALID_ARGUMENT for a list of etags, a request with no etag field, or a
// body etag that differs.
absl::Status ApplyIfMatch(const Route& route, absl::string_view if_match,
                          google::protobuf::Message* request);

// Sets the request's top-level `if_none_match` from If-None-Match when it
// names exactly one entity tag (weak tags compare weakly, as RFC 9110
// §13.1.2 has it for If-None-Match). Anything else (`*`, a list, a request
// without the field) is left to the comparison with the reply's etag.
void ApplyIfNoneMatch(const Route& route, absl::string_view if_none_match,
                      google::protobuf::Message* request);

// The message's top-level string `etag`; "" when it has none.
std::string EtagOf(const google::protobuf::Message& message);

// `etag` as an ETag header value: quoted.
std::string EtagHeader(absl::string_view etag);

// Whether If-None-Match names `etag` (or is `*`): the 304 case.
bool IfNoneMatchHits(absl::string_view if_none_match, absl::string_view etag);

}  // namespace training::gateway::transcode

#endif  // TRAINING_GATEWAY_TRANSCODE_HEADER_MAPPING_H_

#ifndef TRAINING_GATEWAY_TRANSCODE_ERROR_MAPPING_H_
#define TRAINING_GATEWAY_TRANSCODE_ERROR_MAPPING_H_

// gRPC status → HTTP, in one table, and the one JSON error shape (Google's
// AIP-193):
//
//   {"error": {"code": 404, "status": "NOT_FOUND", "message": "...",
//              "details": [{"@type":
//              "type.googleapis.com/google.rpc.ErrorInfo",
//                           ...}]}}
//
// The table is the canonical one of google/rpc/code.proto, except:
//   FAILED_PRECONDITION → 409, not 400 (grpc-gateway and the canonical
//     table say 400). The request was well formed; the resource's state
//     refused it (session full, booking window closed), which RFC 9110
//     calls a conflict. A 400 tells a portal its request was wrong.
//   ABORTED with reason ETAG_MISMATCH → 412: the If-Match (or body etag)
//     precondition failed, RFC 9110's 412.
//   INVALID_ARGUMENT with reason REQUEST_ID_REUSED → 422: an
//     Idempotency-Key reused with a different request (the IETF draft's
//     422).
// A RetryInfo becomes Retry-After (whole seconds, at least 1); UNAVAILABLE
// and DEADLINE_EXCEEDED carry Retry-After: 1 when the service gave none.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace training::gateway::transcode {

struct HttpError {
  int status = 500;
  std::string body;  // the JSON above
  std::vector<std::pair<std::string, std::string>> headers;
};

// The HTTP status for a gRPC code and ErrorInfo reason ("" when none).
int HttpStatusFor(absl::StatusCode code, const std::string& reason);

// `status` (with its google.rpc payloads, as FromGrpcStatus gives them) as
// the HTTP error the gateway sends; `http_status`, when given, replaces the
// table's (the gateway's own 405, say).
HttpError RenderError(const absl::Status& status, int http_status = 0);

}  // namespace training::gateway::transcode

#endif  // TRAINING_GATEWAY_TRANSCODE_ERROR_MAPPING_H_

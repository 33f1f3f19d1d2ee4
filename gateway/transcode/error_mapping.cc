#include "gateway/transcode/error_mapping.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "gateway/transcode/response_mapping.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/code.pb.h"

namespace training::gateway::transcode {

int HttpStatusFor(absl::StatusCode code, const std::string& reason) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
      return reason == "REQUEST_ID_REUSED" ? 422 : 400;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kAborted:
      return reason == "ETAG_MISMATCH" ? 412 : 409;
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    default:
      return 500;
  }
}

HttpError RenderError(const absl::Status& status, int http_status) {
  std::optional<ErrorInfo> info = GetErrorInfo(status);
  HttpError error;
  error.status = http_status != 0
                     ? http_status
                     : HttpStatusFor(status.code(), info ? info->reason : "");
  google::rpc::Status rpc = ToRpcStatus(status);
  std::string details;
  // Details print only the fields set: newer google.rpc fields the
  // services never fill (a violation's `reason`) would be noise.
  google::protobuf::util::JsonPrintOptions options;
  for (const auto& any : rpc.details()) {
    std::string json;
    if (google::protobuf::util::MessageToJsonString(any, &json, options).ok()) {
      absl::StrAppend(&details, details.empty() ? "" : ",", json);
    }
  }
  error.body = absl::StrCat(
      R"({"error":{"code":)", error.status, R"(,"status":")",
      google::rpc::Code_Name(static_cast<google::rpc::Code>(status.code())),
      R"(","message":)", JsonString(status.message()), R"(,"details":[)",
      details, "]}}");
  std::optional<absl::Duration> retry = GetRetryDelay(status);
  if (!retry.has_value() &&
      (status.code() == absl::StatusCode::kUnavailable ||
       status.code() == absl::StatusCode::kDeadlineExceeded)) {
    retry = absl::Seconds(1);
  }
  if (retry.has_value()) {
    int64_t seconds = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(*retry))));
    error.headers.emplace_back("Retry-After", absl::StrCat(seconds));
  }
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    error.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  return error;
}

}  // namespace training::gateway::transcode

#include "gateway/rest/rest_handler.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/runtime/call_context.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "gateway/transcode/error_mapping.h"
#include "gateway/transcode/header_mapping.h"
#include "gateway/transcode/request_mapping.h"
#include "gateway/transcode/response_mapping.h"
#include "grpcpp/support/byte_buffer.h"

namespace training::gateway {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using transcode::Route;

HttpResponse ErrorResponse(const absl::Status& status, int http_status = 0) {
  transcode::HttpError error = transcode::RenderError(status, http_status);
  HttpResponse response;
  response.status = error.status;
  response.body = std::move(error.body);
  response.headers = std::move(error.headers);
  return response;
}

bool KnownMethod(absl::string_view method) {
  for (const char* known : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    if (method == known) return true;
  }
  return false;
}

// Only what gRPC metadata may carry: visible ASCII and spaces.
bool IsHeaderSafe(absl::string_view value) {
  for (char c : value) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

// X-Request-Timeout: seconds ("2.5") or a duration ("2.5s", "500ms").
absl::StatusOr<absl::Duration> ParseRequestTimeout(absl::string_view text) {
  absl::Duration d;
  double seconds = 0;
  if (absl::SimpleAtod(text, &seconds)) {
    d = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(absl::StripAsciiWhitespace(text), &d)) {
    return InvalidArgumentError(
        {{"X-Request-Timeout", "must be seconds (2.5) or a duration (500ms)"}});
  }
  if (d <= absl::ZeroDuration()) {
    return InvalidArgumentError({{"X-Request-Timeout", "must be positive"}});
  }
  return d;
}

// A JSON body must say it is JSON when it says anything: a browser's
// cross-site form or text/plain post (sent without a CORS preflight) is
// refused before it reaches a service. No Content-Type at all is taken as
// JSON (command-line clients); an HttpBody request takes any type.
bool AcceptsBodyType(const Route& route, const HttpRequest& request) {
  if (route.body == Route::Body::kNone || request.body.empty()) return true;
  if (route.method->input_type()->full_name() == "google.api.HttpBody") {
    return true;
  }
  std::string type = request.Header("content-type");
  type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(
      absl::string_view(type).substr(0, absl::string_view(type).find(';'))));
  return type.empty() || type == "application/json" ||
         absl::EndsWith(type, "+json");
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

}  // namespace

struct RestHandler::Call {
  const Route* route = nullptr;
  http::Responder respond;
  std::string request_id;
  std::string if_none_match;
  bool anonymous = true;
  absl::Time started;
  absl::Time sent;
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
};

RestHandler::RestHandler(const transcode::RouteTable* routes,
                         const Backends* backends, RestOptions options,
                         Reporter reporter)
    : routes_(routes),
      backends_(backends),
      options_(options),
      reporter_(std::move(reporter)) {}

RestHandler::~RestHandler() { CancelAllAndWait(absl::Seconds(5)); }

void RestHandler::Handle(HttpRequest request, http::Responder respond) {
  const absl::Time started = absl::Now();
  const std::string request_id =
      runtime::AcceptOrMintRequestId(request.Header("x-request-id"));
  auto answer = [&](HttpResponse response, const std::string& route) {
    response.headers.emplace_back("X-Request-Id", request_id);
    if (reporter_) {
      // A method no route has is any token the client sent: one label
      // value for all of them keeps the metrics' series bounded.
      reporter_({KnownMethod(request.method) ? request.method : "OTHER", route,
                 response.status, absl::Now() - started, absl::ZeroDuration(),
                 request_id});
    }
    respond(std::move(response));
  };

  auto found = routes_->Find(request.method, request.Path());
  if (!found.has_value()) return answer(NoRoute(request), "unmatched");
  const Route& route = *found->route;
  auto refuse = [&](const absl::Status& status) {
    answer(ErrorResponse(status), route.path.text);
  };
  if (!AcceptsBodyType(route, request)) {
    return answer(
        ErrorResponse(InvalidArgumentError(
                          {{"Content-Type", "must be application/json"}}),
                      415),
        route.path.text);
  }
  const std::string authorization = request.Header("authorization");
  if (!IsHeaderSafe(authorization)) {
    return refuse(
        WithErrorInfo(absl::UnauthenticatedError("authorization: malformed"),
                      "CREDENTIALS_INVALID"));
  }
  auto deadline = DeadlineFor(route, request);
  if (!deadline.ok()) return refuse(deadline.status());
  auto message =
      MapRequest(route, std::move(found->values), request, authorization);
  if (!message.ok()) return refuse(message.status());
  grpc::GenericStub* stub = backends_->Stub(route.backend);
  if (stub == nullptr) {
    return refuse(absl::UnimplementedError(
        absl::StrCat("the ", route.backend, " service is not configured")));
  }

  auto call = std::make_unique<Call>();
  call->route = &route;
  call->respond = std::move(respond);
  call->request_id = request_id;
  call->if_none_match = request.Header("if-none-match");
  call->anonymous = authorization.empty();
  call->started = started;
  call->context.set_deadline(absl::ToChronoTime(started + *deadline));
  if (!authorization.empty()) {
    call->context.AddMetadata("authorization", authorization);
  }
  call->context.AddMetadata("x-request-id", request_id);
  const std::string tracestate = request.Header("tracestate");
  const auto trace = runtime::TraceContext::FromHeader(
      request.Header("traceparent"), tracestate);
  call->context.AddMetadata("traceparent", trace.ToHeader());
  if (!tracestate.empty() && IsHeaderSafe(tracestate)) {
    call->context.AddMetadata("tracestate", tracestate);
  }
  grpc::Slice slice((*message)->SerializeAsString());
  call->request = grpc::ByteBuffer(&slice, 1);
  call->sent = absl::Now();

  Call* raw = call.get();
  {
    absl::MutexLock lock(&mu_);
    calls_[raw] = std::move(call);
  }
  stub->UnaryCall(
      &raw->context, route.grpc_path, grpc::StubOptions(), &raw->request,
      &raw->response,
      [this, raw](grpc::Status status) { OnBackendAnswer(raw, status); });
}

HttpResponse RestHandler::NoRoute(const HttpRequest& request) const {
  std::vector<std::string> allowed = routes_->AllowedMethods(request.Path());
  if (allowed.empty()) {
    return ErrorResponse(
        absl::NotFoundError("no such route: see the API in README"));
  }
  HttpResponse response =
      ErrorResponse(absl::UnimplementedError(absl::StrCat(
                        "method ", request.method, " not allowed here")),
                    405);
  response.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
  return response;
}

absl::StatusOr<absl::Duration> RestHandler::DeadlineFor(
    const Route& route, const HttpRequest& request) const {
  absl::Duration deadline = route.http_method == "GET"
                                ? options_.read_deadline
                                : options_.write_deadline;
  if (std::string timeout = request.Header("x-request-timeout");
      !timeout.empty()) {
    auto asked = ParseRequestTimeout(timeout);
    if (!asked.ok()) return asked.status();
    deadline = std::min(deadline, *asked);  // shortened, never lengthened
  }
  return deadline;
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>>
RestHandler::MapRequest(const Route& route,
                        std::vector<std::string> path_values,
                        const HttpRequest& request,
                        const std::string& authorization) const {
  transcode::HttpRequestParts parts;
  parts.path_values = std::move(path_values);
  parts.query = request.Query();
  parts.body = request.body;
  const std::string content_type = request.Header("content-type");
  parts.content_type = content_type;
  auto message = transcode::BuildRequest(route, parts);
  if (!message.ok()) return message.status();
  if (std::string key = request.Header("idempotency-key"); !key.empty()) {
    absl::Status applied = transcode::ApplyIdempotencyKey(
        route, key, authorization, message->get());
    if (!applied.ok()) return applied;
  }
  if (std::string if_match = request.Header("if-match"); !if_match.empty()) {
    absl::Status applied =
        transcode::ApplyIfMatch(route, if_match, message->get());
    if (!applied.ok()) return applied;
  }
  transcode::ApplyIfNoneMatch(route, request.Header("if-none-match"),
                              message->get());
  return message;
}

void RestHandler::OnBackendAnswer(Call* call, const grpc::Status& status) {
  const Route& route = *call->route;
  if (!status.ok()) {
    absl::Status error = FromGrpcStatus(status);
    // Transport failures carry gRPC's own text (addresses, resolver
    // detail): say what it means instead.
    if (!GetErrorInfo(error).has_value()) {
      if (error.code() == absl::StatusCode::kUnavailable) {
        error = absl::UnavailableError(absl::StrCat(
            "the ", route.backend, " service is unavailable; retry shortly"));
      } else if (error.code() == absl::StatusCode::kDeadlineExceeded) {
        error = absl::DeadlineExceededError(absl::StrCat(
            "the ", route.backend, " service did not answer in time"));
      } else if (error.code() == absl::StatusCode::kCancelled) {
        error = absl::UnavailableError("the gateway is shutting down");
      } else if (error.code() == absl::StatusCode::kInternal ||
                 error.code() == absl::StatusCode::kUnknown ||
                 error.code() == absl::StatusCode::kDataLoss) {
        // A failure's own text may name tables, files or addresses: the
        // caller gets the request id (X-Request-Id) to quote instead.
        error = absl::InternalError(
            absl::StrCat("the ", route.backend,
                         " service failed; quote the X-Request-Id header "
                         "when reporting it"));
      }
    }
    return Finish(call, ErrorResponse(error));
  }
  std::unique_ptr<google::protobuf::Message> reply =
      transcode::NewMessage(route.method->output_type());
  const std::string wire = Flatten(call->response);
  if (!reply->ParseFromString(wire)) {
    return Finish(call, ErrorResponse(absl::InternalError(
                            "the backend's answer did not parse")));
  }
  HttpResponse response;
  const std::string etag = transcode::EtagOf(*reply);
  const bool cacheable = route.http_method == "GET" && call->anonymous &&
                         route.access.audience() == training::api::v1::PUBLIC;
  response.headers.emplace_back(
      "Cache-Control",
      cacheable ? absl::StrCat("public, max-age=",
                               absl::ToInt64Seconds(options_.public_max_age))
                : "no-store");
  // A cache may hold the anonymous answer; one with credentials may differ.
  if (cacheable) response.headers.emplace_back("Vary", "Authorization");
  if (!etag.empty()) {
    response.headers.emplace_back("ETag", transcode::EtagHeader(etag));
  }
  if (route.http_method == "GET" &&
      transcode::IfNoneMatchHits(call->if_none_match, etag)) {
    response.status = 304;
    response.content_type = "application/json";
    return Finish(call, std::move(response));
  }
  transcode::ResponseBody body =
      transcode::BuildResponseBody(route, *reply, wire);
  response.content_type = std::move(body.content_type);
  response.body = std::move(body.body);
  Finish(call, std::move(response));
}

void RestHandler::Finish(Call* call, HttpResponse response) {
  response.headers.emplace_back("X-Request-Id", call->request_id);
  const absl::Time now = absl::Now();
  if (reporter_) {
    reporter_({call->route->http_method, call->route->path.text,
               response.status, now - call->started, now - call->sent,
               call->request_id});
  }
  call->respond(std::move(response));
  // Last, and whole under the lock: once the call leaves the map,
  // CancelAllAndWait may return and the server and this handler go, so the
  // call (its Responder holds the connection) is gone by then too.
  absl::MutexLock lock(&mu_);
  calls_.erase(call);
}

bool RestHandler::CancelAllAndWait(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  for (auto& [raw, call] : calls_) call->context.TryCancel();
  auto none_left = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return calls_.empty();
  };
  return mu_.AwaitWithTimeout(absl::Condition(&none_left), timeout);
}

}  // namespace training::gateway

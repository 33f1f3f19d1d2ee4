#ifndef TRAINING_COMMON_RUNTIME_CALL_CONTEXT_H_
#define TRAINING_COMMON_RUNTIME_CALL_CONTEXT_H_

// What a handler knows about the call it serves: who is calling, the
// request id and W3C trace context (taken from metadata or minted), and the
// deadline; and how to pass them on to calls it makes.

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/access.h"
#include "grpcpp/client_context.h"

namespace training::runtime {

// W3C trace context (https://www.w3.org/TR/trace-context/).
struct TraceContext {
  std::string trace_id;  // 32 lower-case hex
  std::string span_id;   // 16 lower-case hex: this call's own span
  std::string flags = "01";
  std::string tracestate;  // passed through unchanged

  // Continues the caller's trace when `traceparent` is valid (with a new
  // span of our own), or starts a new one.
  static TraceContext FromHeader(absl::string_view traceparent,
                                 absl::string_view tracestate);
  // `00-<trace_id>-<span_id>-<flags>`: the header for calls we make.
  std::string ToHeader() const;
};

// A request id from metadata when it is 1 to 128 of [A-Za-z0-9._:-];
// otherwise a new random one.
std::string AcceptOrMintRequestId(absl::string_view from_metadata);

class CallContext {
 public:
  CallContext(std::string method, std::string request_id, TraceContext trace,
              auth::Principal principal, absl::Time deadline)
      : method_(std::move(method)),
        request_id_(std::move(request_id)),
        trace_(std::move(trace)),
        principal_(std::move(principal)),
        deadline_(deadline) {}

  // `/package.Service/Method`.
  const std::string& method() const { return method_; }
  const std::string& request_id() const { return request_id_; }
  const TraceContext& trace() const { return trace_; }
  const auth::Principal& principal() const { return principal_; }
  // The caller's deadline; absl::InfiniteFuture() when none.
  absl::Time deadline() const { return deadline_; }

  // Prepares a call to another service: deadline = min(ours, now + timeout),
  // the same request id, our span as the parent, and `service_key` as the
  // bearer credential (services call each other with their own keys).
  void PrepareOutgoing(grpc::ClientContext* context, absl::Duration timeout,
                       absl::string_view service_key) const;

 private:
  std::string method_;
  std::string request_id_;
  TraceContext trace_;
  auth::Principal principal_;
  absl::Time deadline_;
};

}  // namespace training::runtime

#endif  // TRAINING_COMMON_RUNTIME_CALL_CONTEXT_H_

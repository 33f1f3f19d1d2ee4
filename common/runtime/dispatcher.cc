#include "common/runtime/dispatcher.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "common/time/deadline.h"

namespace training::runtime {
namespace {

std::optional<std::string> Metadata(const grpc::CallbackServerContext& context,
                                    const char* key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

log::Value PrincipalKind(const auth::Principal* principal) {
  if (principal == nullptr) return log::Value("unauthorized");
  switch (principal->kind) {
    case auth::Principal::Kind::kAnonymous:
      return log::Value("anonymous");
    case auth::Principal::Kind::kAgency:
      return log::Value("agency");
    case auth::Principal::Kind::kAdmin:
      return log::Value("admin");
    case auth::Principal::Kind::kService:
      return log::Value("service");
    case auth::Principal::Kind::kManageToken:
      return log::Value("manage_token");
  }
  return log::Value("unknown");
}

}  // namespace

Dispatcher::Dispatcher(const google::protobuf::ServiceDescriptor* service,
                       ServiceRuntime runtime)
    : service_(service), runtime_(runtime) {
  if (service_ == nullptr) {
    std::fprintf(stderr, "dispatcher: service descriptor missing\n");
    std::abort();
  }
  for (int i = 0; i < service_->method_count(); ++i) {
    const auto* m = service_->method(i);
    Method method;
    method.name = m->name();
    method.full_path = absl::StrCat("/", service_->full_name(), "/", m->name());
    if (m->options().HasExtension(training::api::v1::access)) {
      method.access = m->options().GetExtension(training::api::v1::access);
    }
    methods_.push_back(std::move(method));
  }
  handled_ = &runtime_.metrics->Counter(
      "grpc_server_handled_total",
      "RPCs completed on the server, by method and status code.",
      {"grpc_service", "grpc_method", "grpc_code"});
  latency_ = &runtime_.metrics->Histogram(
      "grpc_server_handling_seconds",
      "Time from receiving an RPC to finishing it, in seconds.",
      {"grpc_service", "grpc_method"});
}

Dispatcher::Method& Dispatcher::FindMethodOrDie(
    const std::string& name, const google::protobuf::Descriptor* request,
    const google::protobuf::Descriptor* response) {
  for (int i = 0; i < service_->method_count(); ++i) {
    const auto* m = service_->method(i);
    if (m->name() != name) continue;
    if (m->input_type() != request || m->output_type() != response) {
      std::fprintf(stderr, "dispatcher: %s: handler types do not match\n",
                   name.c_str());
      std::abort();
    }
    return methods_[i];
  }
  std::fprintf(stderr, "dispatcher: %s has no method %s\n",
               service_->full_name().c_str(), name.c_str());
  std::abort();
}

grpc::ServerUnaryReactor* Dispatcher::Serve(
    int index, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  const absl::Time start = absl::Now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const Method& method = methods_[index];

  std::string request_id =
      AcceptOrMintRequestId(Metadata(*context, "x-request-id").value_or(""));
  TraceContext trace =
      TraceContext::FromHeader(Metadata(*context, "traceparent").value_or(""),
                               Metadata(*context, "tracestate").value_or(""));
  context->AddInitialMetadata("x-request-id", request_id);

  std::optional<std::string> authorization =
      Metadata(*context, "authorization");
  std::optional<absl::string_view> authorization_view;
  if (authorization.has_value()) authorization_view = *authorization;
  absl::StatusOr<auth::Principal> principal = auth::Authorize(
      method.access, authorization_view, *runtime_.keys->Current());
  if (!principal.ok()) {
    log::ScopedLogContext log_context(request_id, trace.trace_id);
    Finish(method, reactor, principal.status(), start, nullptr);
    return reactor;
  }

  auto call = std::make_shared<CallContext>(
      method.full_path, std::move(request_id), std::move(trace),
      *std::move(principal), absl::FromChrono(context->deadline()));
  // The request buffer lives until Finish; a copy shares its slices.
  auto request_copy = std::make_shared<grpc::ByteBuffer>(*request);
  auto run = [this, &method, reactor, response, call, request_copy, start] {
    log::ScopedLogContext log_context(call->request_id(),
                                      call->trace().trace_id);
    auto finish = [this, &method, reactor, call, request_copy,
                   start](absl::Status status) {
      // The reply may come from another thread than the one that ran
      // the handler: log with this call's ids there too.
      log::ScopedLogContext reply_context(call->request_id(),
                                          call->trace().trace_id);
      Finish(method, reactor, status, start, &call->principal());
    };
    if (!method.invoke) {
      finish(absl::UnimplementedError(
          absl::StrCat(method.name, ": not implemented yet")));
    } else if (absl::Now() > call->deadline()) {
      finish(absl::DeadlineExceededError("deadline passed while queued"));
    } else {
      // Waits on the database never outlast the caller's deadline.
      ScopedDeadline deadline(call->deadline());
      method.invoke(call, request_copy.get(), response, std::move(finish));
    }
  };
  if (method.non_blocking) {
    run();
    return reactor;
  }
  if (!runtime_.pool->TrySubmit(std::move(run))) {
    log::ScopedLogContext log_context(call->request_id(),
                                      call->trace().trace_id);
    Finish(method, reactor,
           WithRetryInfo(absl::ResourceExhaustedError(
                             "server busy: too many calls queued"),
                         absl::Milliseconds(200)),
           start, &call->principal());
  }
  return reactor;
}

void Dispatcher::Finish(const Method& method, grpc::ServerUnaryReactor* reactor,
                        const absl::Status& status, absl::Time start,
                        const auth::Principal* principal) {
  const absl::Duration took = absl::Now() - start;
  MethodMetrics& metrics = *method.metrics;
  const size_t code = static_cast<size_t>(status.code());
  prometheus::Counter* handled =
      code < metrics.handled.size() ? metrics.handled[code].load() : nullptr;
  if (handled == nullptr) {  // first call with this code (races are benign)
    handled = &handled_->Child({service_->full_name(), method.name,
                                absl::StatusCodeToString(status.code())});
    if (code < metrics.handled.size()) metrics.handled[code].store(handled);
  }
  handled->Increment();
  prometheus::Histogram* latency = metrics.latency.load();
  if (latency == nullptr) {
    latency = &latency_->Child({service_->full_name(), method.name});
    metrics.latency.store(latency);
  }
  latency->Observe(absl::ToDoubleSeconds(took));
  const log::Level level = status.code() == absl::StatusCode::kInternal
                               ? log::Level::kError
                               : log::Level::kInfo;
  if (log::Enabled(level)) {
    log::Write(level, "rpc",
               {{"method", log::Id(method.full_path)},
                {"code", status.code()},
                {"duration_ms", took},
                {"caller", PrincipalKind(principal)}});
  }
  reactor->Finish(ToGrpcStatus(status));
}

}  // namespace training::runtime

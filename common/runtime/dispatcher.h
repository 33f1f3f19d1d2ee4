#ifndef TRAINING_COMMON_RUNTIME_DISPATCHER_H_
#define TRAINING_COMMON_RUNTIME_DISPATCHER_H_

// Serves one gRPC service of the suite. Every call, whatever its method:
//   1. takes the request id and trace context from metadata (or mints them)
//      and echoes `x-request-id` back;
//   2. authenticates and checks the RPC's declared (training.api.v1.access)
//      rule (UNAUTHENTICATED / PERMISSION_DENIED before any handler runs);
//   3. refuses control characters in the request's text fields
//      (control_characters.h: INVALID_ARGUMENT naming each field);
//   4. runs the method's handler on the worker pool, never on the reactor
//      (unless it is declared non-blocking), and finishes the call
//      (UNIMPLEMENTED for a method with no handler yet; RESOURCE_EXHAUSTED with
//      a retry hint when the pool's queue is full);
//   5. logs one line and counts the call by method and status code.
// Handlers are plain functions of (CallContext, request) returning
// absl::StatusOr<response>; rich errors become google.rpc.Status details.
//
// Usage:
//   auto service = MakeService<catalogue::v1::CatalogueService>(runtime);
//   service->Handle<GetCourseRequest, Course>("GetCourse", handler);
//   runner.AddService(std::move(service));

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/api_keys.h"
#include "common/metrics/metrics.h"
#include "common/runtime/call_context.h"
#include "common/runtime/control_characters.h"
#include "common/runtime/worker_pool.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "training/api/v1/access.pb.h"

namespace training::runtime {

// What every dispatcher of a process shares. Not owned.
struct ServiceRuntime {
  WorkerPool* pool;
  auth::KeyStore* keys;
  metrics::Registry* metrics;
};

template <typename Request, typename Response>
using Handler =
    std::function<absl::StatusOr<Response>(const CallContext&, const Request&)>;

// How an asynchronous handler answers: once, from any thread.
template <typename Response>
using Reply = std::function<void(absl::StatusOr<Response>)>;

template <typename Request, typename Response>
using AsyncHandler =
    std::function<void(const CallContext&, const Request&, Reply<Response>)>;

class Dispatcher {
 public:
  Dispatcher(const google::protobuf::ServiceDescriptor* service,
             ServiceRuntime runtime);

  // Sets the handler of `method_name`. Aborts when the method does not exist
  // or the types do not match the descriptor: a programming error.
  template <typename Request, typename Response>
  void Handle(const std::string& method_name,
              Handler<Request, Response> handler) {
    HandleAsync<Request, Response>(
        method_name,
        [handler = std::move(handler)](
            const CallContext& context, const Request& request,
            Reply<Response> reply) { reply(handler(context, request)); });
  }

  // Sets a handler that answers through `reply`, possibly later and from
  // another thread (group commit answers a whole batch from the thread that
  // committed it, instead of keeping a worker asleep per call). The context
  // and request stay alive until `reply` is called, exactly once.
  template <typename Request, typename Response>
  void HandleAsync(const std::string& method_name,
                   AsyncHandler<Request, Response> handler) {
    Method& method = FindMethodOrDie(method_name, Request::descriptor(),
                                     Response::descriptor());
    auto text_check =
        std::make_shared<const ControlCharacterCheck>(Request::descriptor());
    method.invoke = [handler = std::move(handler), text_check](
                        std::shared_ptr<const CallContext> context,
                        grpc::ByteBuffer* request, grpc::ByteBuffer* response,
                        std::function<void(absl::Status)> done) {
      auto parsed = std::make_shared<Request>();
      if (!grpc::SerializationTraits<Request>::Deserialize(request,
                                                           parsed.get())
               .ok()) {
        done(absl::InvalidArgumentError("request: does not parse"));
        return;
      }
      if (std::vector<FieldViolation> violations = text_check->Check(*parsed);
          !violations.empty()) {
        done(InvalidArgumentError(std::move(violations)));
        return;
      }
      const CallContext& context_ref = *context;
      const Request& request_ref = *parsed;
      handler(context_ref, request_ref,
              [context, parsed, response,
               done = std::move(done)](absl::StatusOr<Response> result) {
                if (!result.ok()) {
                  done(result.status());
                  return;
                }
                bool own_buffer = false;
                if (!grpc::SerializationTraits<Response>::Serialize(
                         *result, response, &own_buffer)
                         .ok()) {
                  done(absl::InternalError("response: cannot serialize"));
                  return;
                }
                done(absl::OkStatus());
              });
    };
  }

  // The same for a handler that never blocks (it hands blocking work to
  // threads of its own): it runs on the gRPC thread that received the
  // call, saving a hop to the worker pool and back per call.
  template <typename Request, typename Response>
  void HandleAsyncNonBlocking(const std::string& method_name,
                              AsyncHandler<Request, Response> handler) {
    HandleAsync<Request, Response>(method_name, std::move(handler));
    FindMethodOrDie(method_name, Request::descriptor(), Response::descriptor())
        .non_blocking = true;
  }

  const google::protobuf::ServiceDescriptor* descriptor() const {
    return service_;
  }

  // Serves one call of the method at `index` (descriptor order).
  grpc::ServerUnaryReactor* Serve(int index,
                                  grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response);

 private:
  // A method's metric children, looked up on first use and kept: a family
  // lookup per call allocated (the histogram's buckets included).
  struct MethodMetrics {
    std::array<std::atomic<prometheus::Counter*>, 17> handled{};  // by code
    std::atomic<prometheus::Histogram*> latency{nullptr};
  };
  struct Method {
    std::string name;       // GetCourse
    std::string full_path;  // /training.catalogue.v1.CatalogueService/GetCourse
    training::api::v1::AccessRule access;
    std::function<void(std::shared_ptr<const CallContext>, grpc::ByteBuffer*,
                       grpc::ByteBuffer*, std::function<void(absl::Status)>)>
        invoke;                 // empty: not implemented yet
    bool non_blocking = false;  // invoke runs on the reactor
    std::shared_ptr<MethodMetrics> metrics = std::make_shared<MethodMetrics>();
  };

  Method& FindMethodOrDie(const std::string& name,
                          const google::protobuf::Descriptor* request,
                          const google::protobuf::Descriptor* response);
  void Finish(const Method& method, grpc::ServerUnaryReactor* reactor,
              const absl::Status& status, absl::Time start,
              const auth::Principal* principal);

  const google::protobuf::ServiceDescriptor* service_;
  ServiceRuntime runtime_;
  std::vector<Method> methods_;
  metrics::CounterFamily* handled_;
  metrics::HistogramFamily* latency_;
};

// Binds `method_name` to `(object->*member)(caller_of(context), request)`,
// the usual shape of a service's handlers: a principal mapped to the
// service's own idea of a caller, and a member function per RPC.
template <typename Object, typename Caller, typename Request, typename Response>
void BindMember(Dispatcher& dispatcher, const std::string& method_name,
                Object* object,
                absl::StatusOr<Response> (Object::*member)(const Caller&,
                                                           const Request&),
                Caller (*caller_of)(const CallContext&)) {
  dispatcher.Handle<Request, Response>(
      method_name, [object, member, caller_of](const CallContext& context,
                                               const Request& request) {
        return (object->*member)(caller_of(context), request);
      });
}

namespace internal {

// Routes every method of a generated service to a Dispatcher through gRPC's
// raw callback handlers (the generated sync `Service` registers the methods;
// each is then re-marked as a raw callback).
template <typename GeneratedService>
class DispatchedService final : public GeneratedService::Service {
 public:
  explicit DispatchedService(std::shared_ptr<Dispatcher> dispatcher)
      : dispatcher_(std::move(dispatcher)) {
    for (int i = 0; i < dispatcher_->descriptor()->method_count(); ++i) {
      this->MarkMethodRawCallback(
          i,
          new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer,
                                                   grpc::ByteBuffer>(
              [d = dispatcher_.get(), i](grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) {
                return d->Serve(i, context, request, response);
              }));
    }
  }

 private:
  std::shared_ptr<Dispatcher> dispatcher_;
};

}  // namespace internal

// A gRPC service for `GeneratedService` and the dispatcher behind it.
struct DispatchedService {
  std::shared_ptr<Dispatcher> dispatcher;
  std::unique_ptr<grpc::Service> service;
};

template <typename GeneratedService>
DispatchedService MakeService(ServiceRuntime runtime) {
  const auto* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          GeneratedService::service_full_name());
  auto dispatcher = std::make_shared<Dispatcher>(descriptor, runtime);
  auto service =
      std::make_unique<internal::DispatchedService<GeneratedService>>(
          dispatcher);
  return {dispatcher, std::move(service)};
}

}  // namespace training::runtime

#endif  // TRAINING_COMMON_RUNTIME_DISPATCHER_H_

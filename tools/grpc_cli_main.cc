// training_grpc: call the suite's services from a shell.
//
//   training_grpc health  <host:port> [service]
//       exit 0 when SERVING (prints the status)
//   training_grpc list    <host:port>
//       the services the server offers, through server reflection
//   training_grpc methods <package.Service>
//       the service's RPCs with their access rules (from the built-in
//       contract)
//   training_grpc call    <host:port> <package.Service/Method> [json]
//       calls an RPC with a JSON request (default {}) and prints the JSON
//       response; on error prints the status and its details, exits 1.
//       Environment: TRAINING_KEY (sent as `authorization: Bearer ...`),
//       TRAINING_REQUEST_ID, TRAINING_DEADLINE_SECONDS (default 10).
//   Every command that connects speaks TLS when TRAINING_TLS_CA_FILE names
//   the CA bundle that verifies the server (with TRAINING_TLS_CLIENT_CERT_FILE
//   and TRAINING_TLS_CLIENT_KEY_FILE for servers that ask for a client
//   certificate).
//
// Debian 12 packages no grpcurl; this needs nothing beyond the build.

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/runtime/tls.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "health/v1/health.grpc.pb.h"
#include "training/api/v1/access.pb.h"

namespace {

using google::protobuf::DescriptorPool;

absl::Duration Deadline() {
  double seconds = 10;
  if (const char* env = std::getenv("TRAINING_DEADLINE_SECONDS")) {
    if (!absl::SimpleAtod(env, &seconds) || seconds <= 0) seconds = 10;
  }
  return absl::Seconds(seconds);
}

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  training::runtime::ClientTlsFiles tls;
  tls.ca_file = Env("TRAINING_TLS_CA_FILE");
  tls.cert_file = Env("TRAINING_TLS_CLIENT_CERT_FILE");
  tls.key_file = Env("TRAINING_TLS_CLIENT_KEY_FILE");
  auto credentials = training::runtime::ChannelCredentials(tls);
  if (!credentials.ok()) {
    std::cerr << "training_grpc: " << credentials.status().message() << "\n";
    std::exit(2);
  }
  return grpc::CreateChannel(address, *credentials);
}

int Health(const std::string& address, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(Connect(address));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + Deadline()));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    std::cerr << "health check failed: " << status.error_message() << "\n";
    return 1;
  }
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                   response.status())
            << "\n";
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING
             ? 0
             : 1;
}

int List(const std::string& address) {
  auto stub =
      grpc::reflection::v1alpha::ServerReflection::NewStub(Connect(address));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + Deadline()));
  auto stream = stub->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  stream->Write(request);
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  if (!stream->Read(&response)) {
    std::cerr << "reflection failed: " << stream->Finish().error_message()
              << "\n";
    return 1;
  }
  for (const auto& s : response.list_services_response().service()) {
    std::cout << s.name() << "\n";
  }
  return stream->Finish().ok() ? 0 : 1;
}

int Methods(const std::string& service_name) {
  const auto* service =
      DescriptorPool::generated_pool()->FindServiceByName(service_name);
  if (service == nullptr) {
    std::cerr << "unknown service " << service_name << "\n";
    return 1;
  }
  for (int i = 0; i < service->method_count(); ++i) {
    const auto* m = service->method(i);
    const auto& rule = m->options().GetExtension(training::api::v1::access);
    std::cout << m->name() << "(" << m->input_type()->name() << ") -> "
              << m->output_type()->name() << "  ["
              << training::api::v1::Audience_Name(rule.audience())
              << (rule.scope().empty() ? "" : " " + rule.scope()) << "]\n";
  }
  return 0;
}

int Call(const std::string& address, const std::string& method_path,
         const std::string& json) {
  const size_t slash = method_path.find('/');
  if (slash == std::string::npos) {
    std::cerr << "method must be package.Service/Method\n";
    return 2;
  }
  const auto* service = DescriptorPool::generated_pool()->FindServiceByName(
      method_path.substr(0, slash));
  const auto* method =
      service ? service->FindMethodByName(method_path.substr(slash + 1))
              : nullptr;
  if (method == nullptr) {
    std::cerr << "unknown method " << method_path << "\n";
    return 2;
  }
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> request(
      factory.GetPrototype(method->input_type())->New());
  std::unique_ptr<google::protobuf::Message> response(
      factory.GetPrototype(method->output_type())->New());
  auto parsed =
      google::protobuf::util::JsonStringToMessage(json, request.get());
  if (!parsed.ok()) {
    std::cerr << "request JSON: " << parsed.message() << "\n";
    return 2;
  }

  grpc::GenericStub stub(Connect(address));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + Deadline()));
  if (const char* key = std::getenv("TRAINING_KEY"); key && *key) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", key));
  }
  if (const char* id = std::getenv("TRAINING_REQUEST_ID"); id && *id) {
    context.AddMetadata("x-request-id", id);
  }
  const std::string bytes = request->SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::CompletionQueue cq;
  auto call = stub.PrepareUnaryCall(&context, absl::StrCat("/", method_path),
                                    request_buffer, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response_buffer, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);

  if (!status.ok()) {
    absl::Status rich = training::FromGrpcStatus(status);
    std::cerr << absl::StatusCodeToString(rich.code()) << ": " << rich.message()
              << "\n";
    for (const auto& v : training::GetFieldViolations(rich)) {
      std::cerr << "  field " << v.field << ": " << v.description << "\n";
    }
    if (auto info = training::GetErrorInfo(rich)) {
      std::cerr << "  reason " << info->reason << "\n";
    }
    return 1;
  }
  std::vector<grpc::Slice> slices;
  (void)response_buffer.Dump(&slices);
  std::string out_bytes;
  for (const auto& s : slices) {
    out_bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (!response->ParseFromString(out_bytes)) {
    std::cerr << "response does not parse\n";
    return 1;
  }
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(*response, &out, options);
  std::cout << out;
  return 0;
}

constexpr char kUsage[] =
    "usage: training_grpc health <host:port> [service]\n"
    "       training_grpc list <host:port>\n"
    "       training_grpc methods <package.Service>\n"
    "       training_grpc call <host:port> <package.Service/Method> [json]\n"
    "environment: TRAINING_KEY, TRAINING_REQUEST_ID, "
    "TRAINING_DEADLINE_SECONDS (10)\n";

int Usage() {
  std::cerr << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  if (args.size() >= 2 && args[0] == "health") {
    return Health(args[1], args.size() >= 3 ? args[2] : "");
  }
  if (args.size() == 2 && args[0] == "list") return List(args[1]);
  if (args.size() == 2 && args[0] == "methods") return Methods(args[1]);
  if (args.size() >= 3 && args[0] == "call") {
    return Call(args[1], args[2], args.size() >= 4 ? args[3] : "{}");
  }
  return Usage();
}

// training_health_probe: exits 0 when a gRPC server reports SERVING.
//
//   training_health_probe --address=127.0.0.1:50051 [--service=NAME]
//                         [--timeout=2s]
//
// For scripts (./dev up) and container probes on machines without grpcurl.

#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/config/flags.h"
#include "grpcpp/grpcpp.h"
#include "health/v1/health.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051", "host:port to check.");
ABSL_FLAG(std::string, service, "",
          "Service name to check; empty for the whole server.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(2), "Deadline of the check.");

int main(int argc, char** argv) {
  training::config::ParseFlagsOrExit(
      argc, argv, "training_health_probe: exits 0 when the server is SERVING.");
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_address),
                                     grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(absl::GetFlag(FLAGS_service));
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

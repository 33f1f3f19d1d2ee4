// A server built with the product's runtime plus the test-only HoldService,
// for the runtime process tests (graceful shutdown with a call in flight).

#include <fstream>

#include "absl/time/clock.h"
#include "common/runtime/server_runner.h"
#include "training/catalogue/v1/catalogue_service.grpc.pb.h"
#include "training/testing/v1/hold.grpc.pb.h"

int main(int argc, char** argv) {
  using training::testing::v1::HoldRequest;
  using training::testing::v1::HoldResponse;
  return training::runtime::ServiceMain(
      argc, argv, {"runtime-test", 0, 0},
      [](training::runtime::ServerRunner& runner) {
        auto hold =
            training::runtime::MakeService<training::testing::v1::HoldService>(
                runner.runtime());
        hold.dispatcher->Handle<HoldRequest, HoldResponse>(
            "Hold",
            [](const training::runtime::CallContext&,
               const HoldRequest& request) -> absl::StatusOr<HoldResponse> {
              std::ofstream(request.started_file()) << "started\n";
              absl::SleepFor(absl::Milliseconds(request.hold_ms()));
              HoldResponse response;
              response.set_held_ms(request.hold_ms());
              return response;
            });
        runner.AddService(std::move(hold));
        return absl::OkStatus();
      });
}

// training_booking: the booking service. Its RPCs are declared in
// proto/training/booking/v1/booking_service.proto; those without a handler yet
// answer UNIMPLEMENTED after the access check.

#include "common/runtime/server_runner.h"
#include "training/booking/v1/booking_service.grpc.pb.h"

int main(int argc, char** argv) {
  return training::runtime::ServiceMain(
      argc, argv, {"booking", 50052, 9102},
      [](training::runtime::ServerRunner& runner) {
        runner.AddService(
            training::runtime::MakeService<
                training::booking::v1::BookingService>(runner.runtime()));
        return absl::OkStatus();
      });
}

// training_notification: the notification service. Its RPCs are declared in
// proto/training/notification/v1/notification_service.proto; those without a
// handler yet answer UNIMPLEMENTED after the access check.

#include "common/runtime/server_runner.h"
#include "training/notification/v1/notification_service.grpc.pb.h"

int main(int argc, char** argv) {
  return training::runtime::ServiceMain(
      argc, argv, {"notification", 7053, 9103},
      [](training::runtime::ServerRunner& runner) {
        runner.AddService(training::runtime::MakeService<
                          training::notification::v1::NotificationService>(
            runner.runtime()));
        return absl::OkStatus();
      });
}

// training_content: the content service. Its RPCs are declared in
// proto/training/content/v1/content_service.proto; those without a handler yet
// answer UNIMPLEMENTED after the access check.

#include "common/runtime/server_runner.h"
#include "training/content/v1/content_service.grpc.pb.h"

int main(int argc, char** argv) {
  return training::runtime::ServiceMain(
      argc, argv, {"content", 7054, 9104},
      [](training::runtime::ServerRunner& runner) {
        runner.AddService(
            training::runtime::MakeService<
                training::content::v1::ContentService>(runner.runtime()));
        return absl::OkStatus();
      });
}

// training_catalogue: the catalogue service. Its RPCs are declared in
// proto/training/catalogue/v1/catalogue_service.proto; those without a handler
// yet answer UNIMPLEMENTED after the access check.

#include "common/runtime/server_runner.h"
#include "training/catalogue/v1/catalogue_service.grpc.pb.h"

int main(int argc, char** argv) {
  return training::runtime::ServiceMain(
      argc, argv, {"catalogue", 50051, 9101},
      [](training::runtime::ServerRunner& runner) {
        runner.AddService(
            training::runtime::MakeService<
                training::catalogue::v1::CatalogueService>(runner.runtime()));
        return absl::OkStatus();
      });
}

#ifndef TRAINING_COMMON_RUNTIME_HEALTH_SERVICE_H_
#define TRAINING_COMMON_RUNTIME_HEALTH_SERVICE_H_

// grpc.health.v1.Health, served by us rather than by gRPC's default
// service: gRPC 1.51's default keeps Watch streams open through
// Server::Shutdown, so every watching client (a load balancer, a probe)
// would hold the drain open until its deadline. Here Shutdown() ends them.
// Thread-safe.

#include <map>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "health/v1/health.grpc.pb.h"

namespace training::runtime {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // Sets the status of `service` ("" is the whole server) and tells its
  // watchers.
  void SetServing(const std::string& service, bool serving);
  // Every known service NOT_SERVING.
  void SetAllNotServing();
  // NOT_SERVING everywhere, then ends every Watch stream (OK). Later
  // SetServing calls are ignored.
  void Shutdown();

  // grpc::health::v1::Health::CallbackService:
  grpc::ServerUnaryReactor* Check(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request,
      grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

 private:
  class Watcher;
  ServingStatus StatusOf(const std::string& service) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Unregister(Watcher* watcher);
  // Sends each watcher its current status, without holding mu_.
  void Notify(bool end_streams);

  mutable absl::Mutex mu_;
  std::map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  std::set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace training::runtime

#endif  // TRAINING_COMMON_RUNTIME_HEALTH_SERVICE_H_

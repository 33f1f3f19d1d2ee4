#ifndef TRAINING_GATEWAY_UPSTREAM_BACKEND_HEALTH_H_
#define TRAINING_GATEWAY_UPSTREAM_BACKEND_HEALTH_H_

// Tracks whether each backend service reports SERVING, by polling
// grpc.health.v1 Check on a background thread (so that HTTP handlers read a
// snapshot and never block). Thread-safe.

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gateway/upstream/backends.h"
#include "grpcpp/grpcpp.h"

namespace training::gateway {

class BackendHealth {
 public:
  // Checks each of `backends` over its channel; `backends` outlives this.
  BackendHealth(const Backends& backends, absl::Duration interval,
                absl::Duration timeout);
  ~BackendHealth();

  // Checks every backend once now, then every `interval` until destruction.
  void Start();

  // Backend name → whether it last reported SERVING.
  std::map<std::string, bool> Snapshot() const;
  bool AllServing() const;
  bool AnyServing() const;

 private:
  void CheckAll();

  struct Entry {
    std::string name;
    std::shared_ptr<grpc::Channel> channel;
  };
  std::vector<Entry> entries_;
  const absl::Duration interval_;
  const absl::Duration timeout_;
  mutable absl::Mutex mu_;
  std::map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace training::gateway

#endif  // TRAINING_GATEWAY_UPSTREAM_BACKEND_HEALTH_H_

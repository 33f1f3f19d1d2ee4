#ifndef TRAINING_GATEWAY_BACKEND_HEALTH_H_
#define TRAINING_GATEWAY_BACKEND_HEALTH_H_

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
#include "grpcpp/grpcpp.h"

namespace training::gateway {

struct Backend {
  std::string name;     // `catalogue`
  std::string address;  // `127.0.0.1:7051`
};

class BackendHealth {
 public:
  // `credentials`: how to reach the backends (TLS or plaintext).
  BackendHealth(std::vector<Backend> backends,
                std::shared_ptr<grpc::ChannelCredentials> credentials,
                absl::Duration interval, absl::Duration timeout);
  ~BackendHealth();

  // Checks every backend once now, then every `interval` until destruction.
  void Start();

  // Backend name → whether it last reported SERVING.
  std::map<std::string, bool> Snapshot() const;
  bool AllServing() const;

 private:
  void CheckAll();

  struct Entry {
    Backend backend;
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

#endif  // TRAINING_GATEWAY_BACKEND_HEALTH_H_

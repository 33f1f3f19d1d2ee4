#include "gateway/upstream/backend_health.h"

#include "absl/time/clock.h"
#include "health/v1/health.grpc.pb.h"

namespace training::gateway {

BackendHealth::BackendHealth(const Backends& backends, absl::Duration interval,
                             absl::Duration timeout)
    : interval_(interval), timeout_(timeout) {
  for (const Backend& backend : backends.list()) {
    serving_[backend.name] = false;
    entries_.push_back({backend.name, backends.Channel(backend.name)});
  }
}

BackendHealth::~BackendHealth() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void BackendHealth::Start() {
  CheckAll();
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(interval_)) CheckAll();
  });
}

void BackendHealth::CheckAll() {
  for (const Entry& entry : entries_) {
    auto stub = grpc::health::v1::Health::NewStub(entry.channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    const bool serving =
        stub->Check(&context, request, &response).ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
    absl::MutexLock lock(&mu_);
    serving_[entry.name] = serving;
  }
}

std::map<std::string, bool> BackendHealth::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return serving_;
}

bool BackendHealth::AnyServing() const {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, serving] : serving_) {
    if (serving) return true;
  }
  return false;
}

bool BackendHealth::AllServing() const {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, serving] : serving_) {
    if (!serving) return false;
  }
  return true;
}

}  // namespace training::gateway

#include "gateway/backend_health.h"

#include "absl/time/clock.h"
#include "health/v1/health.grpc.pb.h"

namespace training::gateway {

BackendHealth::BackendHealth(
    std::vector<Backend> backends,
    std::shared_ptr<grpc::ChannelCredentials> credentials,
    absl::Duration interval, absl::Duration timeout)
    : interval_(interval), timeout_(timeout) {
  for (auto& backend : backends) {
    auto channel = grpc::CreateChannel(backend.address, credentials);
    serving_[backend.name] = false;
    entries_.push_back({std::move(backend), std::move(channel)});
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
    serving_[entry.backend.name] = serving;
  }
}

std::map<std::string, bool> BackendHealth::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return serving_;
}

bool BackendHealth::AllServing() const {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, serving] : serving_) {
    if (!serving) return false;
  }
  return true;
}

}  // namespace training::gateway

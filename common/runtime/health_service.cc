#include "common/runtime/health_service.h"

#include <atomic>
#include <optional>
#include <utility>
#include <vector>

namespace training::runtime {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One Watch stream: writes the current status, then each change; at most
// one write in flight, the latest status waiting behind it.
//
// No lock is held across StartWrite or Finish: gRPC may run a reaction
// inline on the calling thread, and a reaction takes these locks too. The
// service holds references while it notifies, so OnDone cannot free a
// watcher under it.
class HealthService::Watcher final
    : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  Watcher(HealthService* owner, std::string service)
      : owner_(owner), service_(std::move(service)) {}

  const std::string& service() const { return service_; }
  void Ref() { refs_.fetch_add(1); }
  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  void Send(ServingStatus status) {
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      if (writing_) {
        pending_ = status;
        return;
      }
      writing_ = true;
      response_.set_status(status);
    }
    StartWrite(&response_);
  }

  // Ends the stream with `status` once the write in flight completes.
  void End(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      finishing_ = true;
      if (writing_) {
        end_status_ = std::move(status);
        return;
      }
    }
    Finish(std::move(status));
  }

  void OnWriteDone(bool ok) override {
    enum { kNothing, kWrite, kFinish } next = kNothing;
    grpc::Status finish_status;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {
        if (!finishing_) {
          finishing_ = true;
          next = kFinish;
          finish_status = grpc::Status::CANCELLED;
        }
      } else if (finishing_) {
        if (end_status_.has_value()) {
          next = kFinish;
          finish_status = *end_status_;
          end_status_.reset();
        }
      } else if (pending_.has_value()) {
        response_.set_status(*pending_);
        pending_.reset();
        writing_ = true;
        next = kWrite;
      }
    }
    if (next == kWrite) StartWrite(&response_);
    if (next == kFinish) Finish(finish_status);
  }

  void OnCancel() override { End(grpc::Status::CANCELLED); }

  void OnDone() override {
    owner_->Unregister(this);
    Unref();
  }

 private:
  HealthService* const owner_;
  const std::string service_;
  std::atomic<int> refs_{1};  // gRPC's, released in OnDone
  absl::Mutex mu_;
  HealthCheckResponse response_;  // written only while no write is in flight
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<ServingStatus> pending_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> end_status_ ABSL_GUARDED_BY(mu_);
};

HealthService::ServingStatus HealthService::StatusOf(
    const std::string& service) const {
  auto it = serving_.find(service);
  if (it == serving_.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  return it->second ? HealthCheckResponse::SERVING
                    : HealthCheckResponse::NOT_SERVING;
}

void HealthService::SetServing(const std::string& service, bool serving) {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    serving_[service] = serving;
  }
  Notify(/*end_streams=*/false);
}

void HealthService::SetAllNotServing() {
  {
    absl::MutexLock lock(&mu_);
    for (auto& [name, serving] : serving_) serving = false;
  }
  Notify(/*end_streams=*/false);
}

void HealthService::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    for (auto& [name, serving] : serving_) serving = false;
    shut_down_ = true;
  }
  Notify(/*end_streams=*/true);
}

void HealthService::Notify(bool end_streams) {
  std::vector<std::pair<Watcher*, ServingStatus>> targets;
  {
    absl::MutexLock lock(&mu_);
    for (Watcher* w : watchers_) {
      w->Ref();
      targets.emplace_back(w, StatusOf(w->service()));
    }
  }
  for (auto& [w, status] : targets) {
    w->Send(status);
    if (end_streams) w->End(grpc::Status::OK);
    w->Unref();
  }
}

void HealthService::Unregister(Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
}

grpc::ServerUnaryReactor* HealthService::Check(
    grpc::CallbackServerContext* context, const HealthCheckRequest* request,
    HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  ServingStatus status;
  {
    absl::MutexLock lock(&mu_);
    status = StatusOf(request->service());
  }
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::NOT_FOUND, "health: unknown service"));
  } else {
    response->set_status(status);
    reactor->Finish(grpc::Status::OK);
  }
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext*, const HealthCheckRequest* request) {
  auto* watcher = new Watcher(this, request->service());
  ServingStatus status;
  bool shut_down;
  {
    absl::MutexLock lock(&mu_);
    watchers_.insert(watcher);
    status = StatusOf(request->service());
    shut_down = shut_down_;
  }
  watcher->Send(status);
  if (shut_down) watcher->End(grpc::Status::OK);
  return watcher;
}

}  // namespace training::runtime

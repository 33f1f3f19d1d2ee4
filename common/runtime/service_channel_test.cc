// Round-robin channels and the server's connection age, against real gRPC
// servers on loopback.

#include "common/runtime/service_channel.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "health/v1/health.grpc.pb.h"

namespace training::runtime {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// Generous: a watchdog against a hang, not a timing claim.
constexpr absl::Duration kWatchdog = absl::Seconds(30);

// A health service that remembers the peers (client address and port) of
// the calls it answered: a new port is a new connection.
class PeerRecorder final : public Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext* context, const HealthCheckRequest*,
                     HealthCheckResponse* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    peers_.insert(context->peer());
    response->set_status(HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  size_t peers() {
    absl::MutexLock lock(&mu_);
    return peers_.size();
  }

 private:
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> peers_ ABSL_GUARDED_BY(mu_);
};

struct Replica {
  PeerRecorder service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

std::unique_ptr<Replica> StartReplica(absl::Duration max_age) {
  auto replica = std::make_unique<Replica>();
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &replica->port);
  builder.RegisterService(&replica->service);
  SetMaxConnectionAge(builder, max_age, absl::Milliseconds(100));
  replica->server = builder.BuildAndStart();
  return replica;
}

bool CallOnce(Health::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  HealthCheckRequest request;
  HealthCheckResponse response;
  return stub.Check(&context, request, &response).ok();
}

TEST(ServiceChannelTest, CallsSpreadOverEveryAddressOfTheTarget) {
  std::vector<std::unique_ptr<Replica>> replicas;
  std::vector<std::string> addresses;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(StartReplica(absl::ZeroDuration()));
    ASSERT_NE(replicas.back()->server, nullptr);
    addresses.push_back(absl::StrCat("127.0.0.1:", replicas.back()->port));
  }
  // What a headless Service's name resolves to, written out.
  auto stub =
      Health::NewStub(NewServiceChannel("ipv4:" + absl::StrJoin(addresses, ","),
                                        grpc::InsecureChannelCredentials()));
  // round_robin: every replica answers its share once all are connected
  // (on a loaded machine some connect later); pick_first would leave two
  // of them idle for good.
  auto least = [&] {
    int fewest = replicas.front()->service.calls();
    for (const auto& r : replicas)
      fewest = std::min(fewest, r->service.calls());
    return fewest;
  };
  const absl::Time end = absl::Now() + kWatchdog;
  while (least() < 5 && absl::Now() < end) ASSERT_TRUE(CallOnce(*stub));
  EXPECT_GE(least(), 5) << "a replica left idle";
  for (const auto& replica : replicas) replica->server->Shutdown();
}

TEST(ServiceChannelTest, AServerWithAMaxConnectionAgeMakesClientsReconnect) {
  std::unique_ptr<Replica> aged = StartReplica(absl::Milliseconds(300));
  ASSERT_NE(aged->server, nullptr);
  auto stub =
      Health::NewStub(NewServiceChannel(absl::StrCat("127.0.0.1:", aged->port),
                                        grpc::InsecureChannelCredentials()));
  // Calls keep coming; the server closes the connection after its age and
  // the client opens another from a new port.
  const absl::Time end = absl::Now() + kWatchdog;
  while (aged->service.peers() < 2 && absl::Now() < end) {
    CallOnce(*stub);
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_GE(aged->service.peers(), 2u) << "the connection was never closed";
  aged->server->Shutdown();
}

TEST(ServiceChannelTest, NoAgeKeepsOneConnection) {
  std::unique_ptr<Replica> ageless = StartReplica(absl::ZeroDuration());
  ASSERT_NE(ageless->server, nullptr);
  auto stub = Health::NewStub(
      NewServiceChannel(absl::StrCat("127.0.0.1:", ageless->port),
                        grpc::InsecureChannelCredentials()));
  for (int call = 0; call < 40; ++call) {
    ASSERT_TRUE(CallOnce(*stub));
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(ageless->service.peers(), 1u);
  ageless->server->Shutdown();
}

}  // namespace
}  // namespace training::runtime

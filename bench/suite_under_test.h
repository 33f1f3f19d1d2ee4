#ifndef TRAINING_BENCH_SUITE_UNDER_TEST_H_
#define TRAINING_BENCH_SUITE_UNDER_TEST_H_

// What the end-to-end benchmarks run against: a real Redis, a real
// catalogue process with one published course ("courses/flash"), and one or
// more booking processes on SQLite or PostgreSQL, each reached through
// several gRPC connections. Also the closed loop that keeps a number of
// asynchronous calls in flight and counts completions.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/redis/testing_redis_server.h"
#include "common/testing/process.h"
#include "grpcpp/grpcpp.h"
#include "health/v1/health.grpc.pb.h"
#include "training/booking/v1/booking_service.grpc.pb.h"
#include "training/catalogue/v1/catalogue_service.grpc.pb.h"

namespace training::bench {

// A client context with a generous deadline and, given a key, the API key.
std::unique_ptr<grpc::ClientContext> Context(const std::string& key = "");

// Answers a client retries with the same request.
bool Retryable(const grpc::Status& s);

// Keeps `in_flight` calls going for `length`; returns completions per
// second. `start(i, done)` issues call i and calls done(ok) when it ends.
double ClosedLoop(
    int in_flight, absl::Duration length,
    const std::function<void(int, std::function<void(bool)>)>& start);

struct SuiteOptions {
  std::string engine = "sqlite";  // or "postgres"
  int replicas = 1;               // booking processes (PostgreSQL for > 1)
  int places = 100;               // capacity of each new session
  // Extra flags for every booking process.
  std::vector<std::string> booking_flags{};
};

class SuiteUnderTest {
 public:
  struct Server {
    std::unique_ptr<testing::ChildProcess> process;
    int port = 0;
    int metrics_port = 0;
  };

  static constexpr char kAdminKey[] = "trk_bench_admin_flash_crowd_000000001";
  // The notification service's key (TRAINING_SERVICE_KEY), in the key file
  // for benchmarks that start it (StartServer).
  static constexpr char kNotificationKey[] =
      "trk_bench_service_notification_000001";
  // Booking's --address_hash_secrets, which notification must share.
  static constexpr char kAddressHashSecrets[] =
      "a1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4";

  // Starts everything; false (with the reason on stderr) when anything
  // did not start. PostgreSQL comes from TRAINING_BENCH_POSTGRES_URL or
  // TRAINING_TEST_POSTGRES_URL.
  bool Start(const SuiteOptions& options);

  // `count` new sessions of courses/flash a month ahead, already known to
  // every booking replica (asked for their availability once).
  std::vector<std::string> NewSessions(int count);

  // Sum and count of a histogram of the booking processes' /metrics, over
  // every replica.
  std::pair<double, double> HistogramTotals(const std::string& name);
  // Sum of a counter (every series whose line starts with `series`) over
  // every replica.
  double CounterTotal(const std::string& series);

  // Connections to the booking replicas, round-robin over replicas.
  std::vector<std::unique_ptr<booking::v1::BookingService::Stub>>&
  booking_stubs() {
    return booking_stubs_;
  }
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>>& health_stubs() {
    return health_stubs_;
  }
  catalogue::v1::CatalogueService::Stub& catalogue() {
    return *catalogue_stub_;
  }
  redis::testing::RedisServer& redis() { return redis_; }
  const std::vector<Server>& booking_servers() const { return bookings_; }
  const Server& catalogue_server() const { return catalogue_; }
  // The booking database (a test database of its own on PostgreSQL).
  const std::string& booking_url() const { return booking_url_; }
  const std::string& dir() const { return dir_; }

  // Starts another service of the suite (after Start) in <dir>/<name>, with
  // the suite's key file and Redis and `extra` flags; port 0 when it did
  // not start.
  Server StartServer(const std::string& binary, const std::string& name,
                     std::vector<std::string> extra,
                     std::map<std::string, std::string> env = {});

 private:
  bool CreateCourse();

  SuiteOptions options_;
  std::string dir_;
  redis::testing::RedisServer redis_;
  Server catalogue_;
  std::vector<Server> bookings_;
  std::unique_ptr<catalogue::v1::CatalogueService::Stub> catalogue_stub_;
  std::vector<std::unique_ptr<booking::v1::BookingService::Stub>>
      booking_stubs_;
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> health_stubs_;
  std::string booking_url_;
};

}  // namespace training::bench

#endif  // TRAINING_BENCH_SUITE_UNDER_TEST_H_

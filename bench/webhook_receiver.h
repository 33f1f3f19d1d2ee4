#ifndef TRAINING_BENCH_WEBHOOK_RECEIVER_H_
#define TRAINING_BENCH_WEBHOOK_RECEIVER_H_

// A webhook receiver for webhook_bench, in the bench's own process so that
// it costs little beside what is measured: HTTP/1.1 with keep-alive, one
// thread per connection, answering 200 with no body to every POST and
// noting when each arrived, its webhook-id, and the booking and event time
// its body names.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace training::bench {

class BenchReceiver {
 public:
  struct Hit {
    std::string webhook_id;
    std::string booking;    // the body's first "booking"
    absl::Time occur_time;  // the body's "occurTime"
    absl::Time received;
    std::string body;
  };

  ~BenchReceiver();

  // Listens on `host` at a free port.
  absl::Status Start(const std::string& host);
  int port() const { return port_; }
  // The hits so far, forgotten here.
  std::vector<Hit> Take();
  int64_t count() const { return count_.load(); }

 private:
  void Accept();
  void Serve(int fd);

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> count_{0};
  absl::Mutex mu_;
  std::vector<Hit> hits_ ABSL_GUARDED_BY(mu_);
  std::vector<int> connections_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::thread acceptor_;
};

}  // namespace training::bench

#endif  // TRAINING_BENCH_WEBHOOK_RECEIVER_H_

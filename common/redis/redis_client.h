#ifndef TRAINING_COMMON_REDIS_REDIS_CLIENT_H_
#define TRAINING_COMMON_REDIS_REDIS_CLIENT_H_

// A Redis client over hiredis 0.14 that never hangs: a bounded pool of
// connections, connect and command timeouts (a dead or stalled server gives
// UNAVAILABLE within the timeout; a connection that timed out is discarded,
// never reused), pipelining, Lua scripts run by SHA with NOSCRIPT recovery,
// and a circuit breaker: after a few consecutive failures calls fail fast
// with UNAVAILABLE until a trial call, after a backoff that doubles while
// Redis stays down, succeeds. Redis is never the source of truth in this
// suite: callers treat UNAVAILABLE as "carry on without it".
//
// URL: redis://[user:password@]host:port?pool_size=8&timeout_ms=1000
//      &connect_timeout_ms=1000
// With a user (a Redis 7 ACL user) or only a password (`redis://:pw@…`),
// every new connection authenticates first (AUTH); the password may be
// percent-encoded. hiredis 0.14 has no TLS: run Redis on a private network
// or behind a TLS sidecar.
// Thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/pool/idle_pool.h"

struct redisContext;

namespace training::redis {

struct Reply {
  enum class Type { kNil, kInteger, kString, kStatus, kArray, kError };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;  // kString, kStatus, kError
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::kNil; }
  bool is_error() const { return type == Type::kError; }
};

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  // ACL user and password; both empty: no AUTH. A password alone
  // authenticates as the default user.
  std::string user = "";
  std::string password = "";
  int pool_size = 8;
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration command_timeout = absl::Seconds(1);
  // Consecutive failures that open the breaker.
  int breaker_threshold = 3;
  // First open period; doubles on each failed trial up to the maximum.
  absl::Duration breaker_backoff = absl::Milliseconds(100);
  absl::Duration breaker_max_backoff = absl::Seconds(5);
};

// A Lua script, identified by the SHA-1 of its source.
class Script {
 public:
  explicit Script(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha() const { return sha_; }

 private:
  std::string source_;
  std::string sha_;
};

class RedisClient {
 public:
  // Parses the URL; does not connect (the first command does).
  static absl::StatusOr<std::unique_ptr<RedisClient>> Create(
      absl::string_view url);
  explicit RedisClient(RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command. UNAVAILABLE when Redis cannot be reached in time or
  // the breaker is open; FAILED_PRECONDITION carrying Redis's text for an
  // error reply (WRONGTYPE, BUSYGROUP …).
  absl::StatusOr<Reply> Command(const std::vector<std::string>& args);

  // Sends several commands in one round trip. Error replies stay in place
  // as kError replies; UNAVAILABLE when the connection fails.
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // EVALSHA, loading the script (SCRIPT LOAD) when Redis does not have it
  // (first use, restart, SCRIPT FLUSH).
  absl::StatusOr<Reply> Eval(const Script& script,
                             const std::vector<std::string>& keys,
                             const std::vector<std::string>& args);

  // False while the breaker is open (calls would fail fast).
  bool LooksAvailable() const;

 private:
  class Connection;
  absl::StatusOr<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> connection);
  absl::Status CheckBreaker();
  void RecordSuccess();
  void RecordFailure();

  const RedisOptions options_;
  pool::IdlePool<std::unique_ptr<Connection>> pool_;
  // The circuit breaker's state.
  mutable absl::Mutex mu_;
  int consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time open_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Duration backoff_ ABSL_GUARDED_BY(mu_);
  bool trial_in_flight_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace training::redis

#endif  // TRAINING_COMMON_REDIS_REDIS_CLIENT_H_

#include "common/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include <atomic>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/metrics/metrics.h"

namespace training::redis {
namespace {

metrics::HistogramFamily& Latency() {
  static auto& family = metrics::DefaultRegistry().Histogram(
      "training_redis_command_seconds", "Redis round-trip latency.", {});
  return family;
}

metrics::CounterFamily& Failures() {
  static auto& family = []() -> metrics::CounterFamily& {
    auto& f = metrics::DefaultRegistry().Counter(
        "training_redis_failures_total",
        "Redis calls that failed: unreachable, timed out, or refused by the "
        "open breaker.",
        {"kind"});
    // Every kind from zero, so that alerts see the first failure.
    for (const char* kind : {"connect", "io", "breaker_open"}) f.Child({kind});
    return f;
  }();
  return family;
}

// How many of this process's clients have their breaker open now.
std::atomic<int>& OpenBreakers() {
  static std::atomic<int>* open = [] {
    auto* count = new std::atomic<int>(0);
    metrics::DefaultRegistry().Gauge(
        "training_redis_breaker_open",
        "Redis clients of this process whose circuit breaker is open (calls "
        "fail fast).",
        [count] { return static_cast<double>(count->load()); });
    return count;
  }();
  return *open;
}

Reply Convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      for (size_t i = 0; i < r->elements; ++i) {
        out.elements.push_back(Convert(r->element[i]));
      }
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

}  // namespace

// One hiredis context. Once an I/O error or timeout has happened on it, it
// is broken for good (hiredis 0.14) and is discarded.
class RedisClient::Connection {
 public:
  explicit Connection(redisContext* context) : context_(context) {}
  ~Connection() { redisFree(context_); }

  absl::StatusOr<std::vector<Reply>> Run(
      const std::vector<std::vector<std::string>>& commands) {
    for (const auto& args : commands) {
      std::vector<const char*> argv;
      std::vector<size_t> lengths;
      for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
      }
      if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()),
                                 argv.data(), lengths.data()) != REDIS_OK) {
        broken_ = true;
        return absl::UnavailableError("redis: cannot queue command");
      }
    }
    std::vector<Reply> replies;
    replies.reserve(commands.size());
    for (size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
        broken_ = true;
        return absl::UnavailableError(absl::StrCat(
            "redis: ", context_->err == REDIS_ERR_IO ? "I/O error or timeout"
                                                     : "connection lost"));
      }
      replies.push_back(Convert(static_cast<redisReply*>(raw)));
      freeReplyObject(raw);
    }
    return replies;
  }

  bool broken() const { return broken_ || context_->err != 0; }

 private:
  redisContext* context_;
  bool broken_ = false;
};

Script::Script(std::string source) : source_(std::move(source)) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(source_.data(), source_.size(), digest, &length, EVP_sha1(),
             nullptr);
  sha_ = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

namespace {

// RFC 3986 percent-decoding of a URL's user or password.
bool PercentDecode(absl::string_view in, std::string* out) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size() || hex(in[i + 1]) < 0 || hex(in[i + 2]) < 0) {
      return false;
    }
    out->push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
    i += 2;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisClient>> RedisClient::Create(
    absl::string_view url) {
  constexpr absl::string_view kScheme = "redis://";
  if (!absl::StartsWith(url, kScheme)) {
    return absl::InvalidArgumentError("redis URL: must start with redis://");
  }
  RedisOptions options;
  absl::string_view rest = url.substr(kScheme.size());
  // Credentials end at the last '@' (a password may hold one, encoded or
  // not); they never appear in an error message.
  if (size_t at = rest.rfind('@'); at != absl::string_view::npos) {
    absl::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = credentials.find(':');
    std::string user(credentials.substr(0, colon));
    std::string password;
    if (colon != absl::string_view::npos &&
        !PercentDecode(credentials.substr(colon + 1), &password)) {
      return absl::InvalidArgumentError(
          "redis URL: the password is not valid percent-encoding");
    }
    if (!PercentDecode(user, &options.user)) {
      return absl::InvalidArgumentError(
          "redis URL: the user is not valid percent-encoding");
    }
    options.password = std::move(password);
    if (options.password.empty()) {
      return absl::InvalidArgumentError(
          "redis URL: credentials need a password (user:password@)");
    }
  }
  // The query only after the credentials: a password may hold '?'.
  absl::string_view query;
  if (size_t q = rest.find('?'); q != absl::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (size_t colon = rest.rfind(':'); colon != absl::string_view::npos) {
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &options.port) ||
        options.port < 1 || options.port > 65535) {
      return absl::InvalidArgumentError("redis URL: bad port");
    }
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) options.host = std::string(rest);
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    int value = 0;
    if (!absl::SimpleAtoi(kv.second, &value) || value < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("redis URL: ", kv.first, " must be a positive integer"));
    }
    if (kv.first == "pool_size") {
      options.pool_size = value;
    } else if (kv.first == "timeout_ms") {
      options.command_timeout = absl::Milliseconds(value);
    } else if (kv.first == "connect_timeout_ms") {
      options.connect_timeout = absl::Milliseconds(value);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("redis URL: unknown parameter '", kv.first, "'"));
    }
  }
  return std::make_unique<RedisClient>(options);
}

RedisClient::RedisClient(RedisOptions options)
    : options_(std::move(options)),
      pool_(options_.pool_size),
      backoff_(options_.breaker_backoff) {
  // Exported from zero, before the first failure.
  Failures();
  OpenBreakers();
}

RedisClient::~RedisClient() {
  absl::MutexLock lock(&mu_);
  if (consecutive_failures_ >= options_.breaker_threshold) --OpenBreakers();
}

bool RedisClient::LooksAvailable() const {
  absl::MutexLock lock(&mu_);
  return absl::Now() >= open_until_;
}

absl::Status RedisClient::CheckBreaker() {
  absl::MutexLock lock(&mu_);
  if (consecutive_failures_ < options_.breaker_threshold)
    return absl::OkStatus();
  // Open: fail fast until the backoff has passed; then let one trial call
  // through (half-open) while the others keep failing fast.
  if (absl::Now() < open_until_ || trial_in_flight_) {
    Failures().Add({"breaker_open"});
    return absl::UnavailableError("redis: unavailable (circuit open)");
  }
  trial_in_flight_ = true;
  return absl::OkStatus();
}

void RedisClient::RecordSuccess() {
  absl::MutexLock lock(&mu_);
  if (consecutive_failures_ >= options_.breaker_threshold) --OpenBreakers();
  consecutive_failures_ = 0;
  trial_in_flight_ = false;
  backoff_ = options_.breaker_backoff;
  open_until_ = absl::InfinitePast();
}

void RedisClient::RecordFailure() {
  absl::MutexLock lock(&mu_);
  if (++consecutive_failures_ == options_.breaker_threshold) ++OpenBreakers();
  if (consecutive_failures_ >= options_.breaker_threshold) {
    open_until_ = absl::Now() + backoff_;
    if (trial_in_flight_) {
      backoff_ = std::min(backoff_ * 2, options_.breaker_max_backoff);
    }
  }
  trial_in_flight_ = false;
}

absl::StatusOr<std::unique_ptr<RedisClient::Connection>>
RedisClient::Acquire() {
  std::unique_ptr<Connection> idle;
  switch (pool_.Take(options_.command_timeout, &idle)) {
    case pool::IdlePool<std::unique_ptr<Connection>>::Slot::kTimedOut:
      return absl::UnavailableError("redis: no connection free in time");
    case pool::IdlePool<std::unique_ptr<Connection>>::Slot::kIdle:
      return idle;
    case pool::IdlePool<std::unique_ptr<Connection>>::Slot::kNew:
      break;
  }
  redisContext* context =
      redisConnectWithTimeout(options_.host.c_str(), options_.port,
                              absl::ToTimeval(options_.connect_timeout));
  if (context == nullptr || context->err != 0 ||
      redisSetTimeout(context, absl::ToTimeval(options_.command_timeout)) !=
          REDIS_OK) {
    if (context != nullptr) redisFree(context);
    pool_.Forget();
    return absl::UnavailableError("redis: cannot connect");
  }
  if (!options_.password.empty()) {
    std::vector<const char*> argv = {"AUTH"};
    std::vector<size_t> lengths = {4};
    if (!options_.user.empty()) {
      argv.push_back(options_.user.data());
      lengths.push_back(options_.user.size());
    }
    argv.push_back(options_.password.data());
    lengths.push_back(options_.password.size());
    auto* reply = static_cast<redisReply*>(redisCommandArgv(
        context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    const bool ok = reply != nullptr && reply->type == REDIS_REPLY_STATUS;
    if (reply != nullptr) freeReplyObject(reply);
    if (!ok) {
      redisFree(context);
      pool_.Forget();
      return absl::UnavailableError(
          "redis: authentication failed: check the user and password of "
          "--redis_url");
    }
  }
  return std::make_unique<Connection>(context);
}

void RedisClient::Release(std::unique_ptr<Connection> connection) {
  if (connection->broken()) {
    pool_.Forget();  // destroyed: a timed-out hiredis context is never reused
    return;
  }
  pool_.Put(std::move(connection));
}

absl::StatusOr<std::vector<Reply>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (absl::Status open = CheckBreaker(); !open.ok()) return open;
  const absl::Time start = absl::Now();
  auto connection = Acquire();
  if (!connection.ok()) {
    Failures().Add({"connect"});
    RecordFailure();
    return connection.status();
  }
  auto replies = (*connection)->Run(commands);
  Release(*std::move(connection));
  if (!replies.ok()) {
    Failures().Add({"io"});
    RecordFailure();
    return replies.status();
  }
  RecordSuccess();
  Latency().Observe({}, absl::ToDoubleSeconds(absl::Now() - start));
  return replies;
}

absl::StatusOr<Reply> RedisClient::Command(
    const std::vector<std::string>& args) {
  auto replies = Pipeline({args});
  if (!replies.ok()) return replies.status();
  Reply& reply = replies->front();
  if (reply.is_error()) {
    return absl::FailedPreconditionError(absl::StrCat("redis: ", reply.str));
  }
  return std::move(reply);
}

absl::StatusOr<Reply> RedisClient::Eval(const Script& script,
                                        const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args) {
  std::vector<std::string> command = {"EVALSHA", script.sha(),
                                      absl::StrCat(keys.size())};
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  auto reply = Command(command);
  if (reply.ok() || !absl::StrContains(reply.status().message(), "NOSCRIPT")) {
    return reply;
  }
  // Redis lost the script (restart, SCRIPT FLUSH): load it and retry once.
  auto loaded = Command({"SCRIPT", "LOAD", script.source()});
  if (!loaded.ok()) return loaded.status();
  return Command(command);
}

}  // namespace training::redis

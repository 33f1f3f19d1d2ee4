#include "services/booking/redis_availability_cache.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/metrics/metrics.h"

namespace training::booking {
namespace {

// Compare-and-set by version: an older value never overwrites a newer one.
// What is stored is also appended to the change stream (KEYS[2]), trimmed
// to about ARGV[4] entries, for the other replicas' copies.
constexpr char kWriteScript[] = R"lua(
local held = redis.call('HGET', KEYS[1], 'v')
if held and tonumber(held) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'a', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*',
           'v', ARGV[1], 'a', ARGV[2])
return 1
)lua";

// Version, figure and milliseconds left of each key, in one round trip.
constexpr char kReadScript[] = R"lua(
local out = {}
for _, key in ipairs(KEYS) do
  local held = redis.call('HMGET', key, 'v', 'a')
  out[#out + 1] = held[1]
  out[#out + 1] = held[2]
  out[#out + 1] = redis.call('PTTL', key)
end
return out
)lua";

constexpr int kChangesKept = 10000;
// Stream entries read per round trip, and round trips per follow.
constexpr int kChangesPerRead = 500;
constexpr int kRoundsPerFollow = 20;
// A follower that has not read the stream for this long may have missed
// entries trimmed meanwhile: it rebuilds the copy.
constexpr absl::Duration kStallLimit = absl::Seconds(10);

// The cache's counters, looked up once: the in-memory path is hot.
struct Outcomes {
  prometheus::Counter& hit;        // served from this replica's memory
  prometheus::Counter& redis_hit;  // served from Redis
  prometheus::Counter& miss;
  prometheus::Counter& write;
  prometheus::Counter& stale;  // a write or read older than what is held
  prometheus::Counter& error;
  prometheus::Counter& resync;  // the copy rebuilt
  prometheus::Counter& change;  // a stream entry applied to the copy
};

Outcomes& Count() {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_availability_cache_total",
      "Availability cache operations by outcome: hit (from this replica's "
      "memory), redis_hit, miss, write, stale, error, resync (the "
      "in-memory copy rebuilt), change (another replica's write applied).",
      {"outcome"});
  static Outcomes outcomes{
      family.Child({"hit"}),    family.Child({"redis_hit"}),
      family.Child({"miss"}),   family.Child({"write"}),
      family.Child({"stale"}),  family.Child({"error"}),
      family.Child({"resync"}), family.Child({"change"})};
  return outcomes;
}

// The value of `field` in a stream entry's field list.
const redis::Reply* FieldOf(const redis::Reply& fields,
                            absl::string_view name) {
  for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    if (fields.elements[i].str == name) return &fields.elements[i + 1];
  }
  return nullptr;
}

}  // namespace

RedisAvailabilityCache::RedisAvailabilityCache(redis::RedisClient* redis,
                                               absl::Duration ttl,
                                               const Clock* clock)
    : redis_(redis),
      ttl_(ttl),
      clock_(clock),
      write_script_(kWriteScript),
      read_script_(kReadScript) {
  Count();  // every outcome shows on /metrics from the start
}

RedisAvailabilityCache::~RedisAvailabilityCache() {
  {
    absl::MutexLock lock(&follow_mu_);
    stopping_ = true;
  }
  if (follower_.joinable()) follower_.join();
}

std::string RedisAvailabilityCache::KeyOf(const std::string& session) {
  return absl::StrCat("training:availability:", session);
}

void RedisAvailabilityCache::StartCopy(absl::Duration follow_interval) {
  if (follower_.joinable()) return;  // already following
  follower_ = std::thread([this, follow_interval] {
    absl::MutexLock lock(&follow_mu_);
    absl::Time next_sweep = clock_->Now() + ttl_;
    while (!stopping_) {
      // Failures are counted and leave the copy suspended; the next round
      // tries again.
      if (!following_ || copy_.suspended() ||
          clock_->Now() - last_followed_ > kStallLimit) {
        (void)Resynchronise();
      } else {
        (void)ReadChanges();
      }
      if (clock_->Now() > next_sweep) {
        copy_.DropExpired(clock_->Now());
        next_sweep = clock_->Now() + ttl_;
      }
      follow_mu_.AwaitWithTimeout(absl::Condition(&stopping_), follow_interval);
    }
  });
}

absl::Status RedisAvailabilityCache::FollowOnce() {
  absl::MutexLock lock(&follow_mu_);
  if (!following_ || copy_.suspended() ||
      clock_->Now() - last_followed_ > kStallLimit) {
    return Resynchronise();
  }
  return ReadChanges();
}

// The copy starts again from empty at the stream's current end: what was
// written before is read from Redis on demand, what comes after arrives on
// the stream.
absl::Status RedisAvailabilityCache::Resynchronise() {
  copy_.Suspend();
  following_ = false;
  auto last =
      redis_->Command({"XREVRANGE", kChangesKey, "+", "-", "COUNT", "1"});
  if (!last.ok()) {
    Count().error.Increment();
    return last.status();
  }
  last_id_ = last->elements.empty() || last->elements[0].elements.empty()
                 ? "0-0"
                 : last->elements[0].elements[0].str;
  last_followed_ = clock_->Now();
  following_ = true;
  copy_.Resume();
  Count().resync.Increment();
  return absl::OkStatus();
}

absl::Status RedisAvailabilityCache::ReadChanges() {
  // At most kRoundsPerFollow reads per call, so that a stopping process is
  // never held by writers that keep the stream full.
  for (int round = 0; round < kRoundsPerFollow; ++round) {
    auto entries =
        redis_->Command({"XRANGE", kChangesKey, absl::StrCat("(", last_id_),
                         "+", "COUNT", absl::StrCat(kChangesPerRead)});
    if (!entries.ok()) {
      Count().error.Increment();
      copy_.Suspend();
      following_ = false;
      return entries.status();
    }
    const absl::Time now = clock_->Now();
    const uint64_t epoch = copy_.epoch();
    for (const redis::Reply& entry : entries->elements) {
      if (entry.elements.size() != 2) continue;
      last_id_ = entry.elements[0].str;
      // An entry's id starts with the Redis clock's milliseconds when it
      // was written: its figure is served for the TTL from then (or from
      // now, should that clock run ahead of ours).
      int64_t written_ms = 0;
      absl::Time written = now;
      if (absl::SimpleAtoi(last_id_.substr(0, last_id_.find('-')),
                           &written_ms)) {
        written = std::min(now, absl::FromUnixMillis(written_ms));
      }
      const redis::Reply* version_text = FieldOf(entry.elements[1], "v");
      const redis::Reply* figure_bytes = FieldOf(entry.elements[1], "a");
      int64_t version = 0;
      v1::Availability figure;
      if (version_text == nullptr || figure_bytes == nullptr ||
          !absl::SimpleAtoi(version_text->str, &version) ||
          !figure.ParseFromString(figure_bytes->str)) {
        continue;  // not ours to understand; skipped
      }
      if (copy_.Offer(figure, version, written + ttl_, epoch, now)) {
        Count().change.Increment();
      }
    }
    last_followed_ = now;
    if (entries->elements.size() < kChangesPerRead) break;
  }
  return absl::OkStatus();
}

bool RedisAvailabilityCache::Write(const v1::Availability& availability,
                                   int64_t version) {
  // Taken before Redis sets the entry's expiry, so that the copy's never
  // outlives it.
  const absl::Time now = clock_->Now();
  const uint64_t epoch = copy_.epoch();
  auto reply =
      redis_->Eval(write_script_, {KeyOf(availability.session()), kChangesKey},
                   {absl::StrCat(version), availability.SerializeAsString(),
                    absl::StrCat(absl::ToInt64Milliseconds(ttl_)),
                    absl::StrCat(kChangesKept)});
  if (!reply.ok()) {
    Count().error.Increment();
    // Other replicas will not hear of this change: rebuild once Redis
    // answers, rather than trust a copy that may have missed others too.
    // The version is remembered all the same (a suspended copy takes no
    // figure), so that an older one still in Redis is not served after.
    copy_.Suspend();
    copy_.Offer(availability, version, now + ttl_, copy_.epoch(), now);
    return false;
  }
  if (reply->integer != 1) {
    Count().stale.Increment();
    return false;
  }
  Count().write.Increment();
  copy_.Offer(availability, version, now + ttl_, epoch, now);
  return true;
}

std::vector<std::optional<v1::Availability>> RedisAvailabilityCache::Read(
    const std::vector<std::string>& sessions) {
  const absl::Time now = clock_->Now();
  const uint64_t epoch = copy_.epoch();
  std::vector<std::optional<v1::Availability>> out =
      copy_.Lookup(sessions, now);
  std::vector<size_t> missing;
  std::vector<std::string> keys;
  for (size_t i = 0; i < sessions.size(); ++i) {
    if (out[i]) continue;
    missing.push_back(i);
    keys.push_back(KeyOf(sessions[i]));
  }
  Count().hit.Increment(sessions.size() - missing.size());
  if (missing.empty()) return out;
  auto reply = redis_->Eval(read_script_, keys, {});
  if (!reply.ok() || reply->elements.size() != 3 * missing.size()) {
    Count().error.Increment();
    copy_.Suspend();
    Count().miss.Increment(missing.size());
    return out;
  }
  for (size_t k = 0; k < missing.size(); ++k) {
    const std::string& session = sessions[missing[k]];
    const redis::Reply& version_text = reply->elements[3 * k];
    const redis::Reply& figure_bytes = reply->elements[3 * k + 1];
    const int64_t left_ms = reply->elements[3 * k + 2].integer;
    int64_t version = 0;
    v1::Availability figure;
    if (version_text.type != redis::Reply::Type::kString ||
        figure_bytes.type != redis::Reply::Type::kString ||
        !absl::SimpleAtoi(version_text.str, &version) ||
        !figure.ParseFromString(figure_bytes.str)) {
      Count().miss.Increment();
      continue;
    }
    if (left_ms <= 0) {  // expiring this very millisecond, or no TTL
      Count().miss.Increment();
      continue;
    }
    copy_.Offer(figure, version,
                now + std::min(absl::Milliseconds(left_ms), ttl_), epoch, now);
    if (version < copy_.VersionSeen(session, now)) {
      // Older than a figure this replica already served (or took from the
      // stream meanwhile): the database answers instead, so that no reader
      // sees the counts go back.
      Count().stale.Increment();
      Count().miss.Increment();
      continue;
    }
    out[missing[k]] = std::move(figure);
    Count().redis_hit.Increment();
  }
  return out;
}

std::optional<std::vector<v1::Availability>>
RedisAvailabilityCache::ReadInMemory(const std::vector<std::string>& sessions) {
  auto figures = copy_.LookupAll(sessions, clock_->Now());
  if (figures) Count().hit.Increment(sessions.size());
  return figures;
}

}  // namespace training::booking

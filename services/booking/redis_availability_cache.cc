#include "services/booking/redis_availability_cache.h"

#include "absl/strings/str_cat.h"
#include "common/metrics/metrics.h"

namespace training::booking {
namespace {

// Compare-and-set by version: an older value never overwrites a newer one.
constexpr char kWriteScript[] = R"lua(
local held = redis.call('HGET', KEYS[1], 'v')
if held and tonumber(held) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'a', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
)lua";

metrics::CounterFamily& CacheOutcomes() {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_availability_cache_total",
      "Availability cache operations by outcome (hit, miss, write, stale, "
      "error).",
      {"outcome"});
  return family;
}

}  // namespace

RedisAvailabilityCache::RedisAvailabilityCache(redis::RedisClient* redis,
                                               absl::Duration ttl)
    : redis_(redis), ttl_(ttl), write_script_(kWriteScript) {}

std::string RedisAvailabilityCache::KeyOf(const std::string& session) {
  return absl::StrCat("training:availability:", session);
}

bool RedisAvailabilityCache::Write(const v1::Availability& availability,
                                   int64_t version) {
  auto reply =
      redis_->Eval(write_script_, {KeyOf(availability.session())},
                   {absl::StrCat(version), availability.SerializeAsString(),
                    absl::StrCat(absl::ToInt64Milliseconds(ttl_))});
  if (!reply.ok()) {
    CacheOutcomes().Add({"error"});
    return false;
  }
  const bool stored = reply->integer == 1;
  CacheOutcomes().Add({stored ? "write" : "stale"});
  return stored;
}

std::vector<std::optional<v1::Availability>> RedisAvailabilityCache::Read(
    const std::vector<std::string>& sessions) {
  std::vector<std::optional<v1::Availability>> out(sessions.size());
  std::vector<std::vector<std::string>> commands;
  for (const std::string& session : sessions) {
    commands.push_back({"HGET", KeyOf(session), "a"});
  }
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok() || replies->size() != sessions.size()) {
    CacheOutcomes().Add({"error"});
    return out;
  }
  for (size_t i = 0; i < sessions.size(); ++i) {
    const redis::Reply& reply = (*replies)[i];
    v1::Availability availability;
    if (reply.type == redis::Reply::Type::kString &&
        availability.ParseFromString(reply.str)) {
      out[i] = std::move(availability);
      CacheOutcomes().Add({"hit"});
    } else {
      CacheOutcomes().Add({"miss"});
    }
  }
  return out;
}

}  // namespace training::booking

#include "services/booking/availability_cache.h"

namespace training::booking {

bool InMemoryAvailabilityCache::Write(const v1::Availability& availability,
                                      int64_t version) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[availability.session()];
  // An expired entry's version no longer counts, as in Redis.
  if (entry.expires > now && entry.version >= version) return false;
  entry = Entry{version, availability, now + ttl_};
  return true;
}

std::vector<std::optional<v1::Availability>> InMemoryAvailabilityCache::Read(
    const std::vector<std::string>& sessions) {
  const absl::Time now = clock_->Now();
  std::vector<std::optional<v1::Availability>> out(sessions.size());
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < sessions.size(); ++i) {
    auto found = entries_.find(sessions[i]);
    if (found != entries_.end() && found->second.expires > now) {
      out[i] = found->second.availability;
    }
  }
  return out;
}

}  // namespace training::booking

#include "services/booking/availability_cache.h"

namespace training::booking {

bool InMemoryAvailabilityCache::Write(const v1::Availability& availability,
                                      int64_t version) {
  const absl::Time now = clock_->Now();
  return copy_.Offer(availability, version, now + ttl_, copy_.epoch(), now);
}

std::vector<std::optional<v1::Availability>> InMemoryAvailabilityCache::Read(
    const std::vector<std::string>& sessions) {
  return copy_.Lookup(sessions, clock_->Now());
}

std::optional<std::vector<v1::Availability>>
InMemoryAvailabilityCache::ReadInMemory(
    const std::vector<std::string>& sessions) {
  return copy_.LookupAll(sessions, clock_->Now());
}

}  // namespace training::booking

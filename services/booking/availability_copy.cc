#include "services/booking/availability_copy.h"

namespace training::booking {

uint64_t AvailabilityCopy::epoch() const {
  absl::ReaderMutexLock lock(&mu_);
  return epoch_;
}

bool AvailabilityCopy::Offer(const v1::Availability& figure, int64_t version,
                             absl::Time fresh_until, uint64_t epoch,
                             absl::Time now) {
  absl::MutexLock lock(&mu_);
  const bool may_take = !suspended_ && epoch == epoch_;
  Entry& entry = entries_[figure.session()];
  const bool live = entry.fresh_until > now;
  if (live && entry.version > version) return false;
  if (live && entry.version == version && (entry.figure || !may_take)) {
    return false;  // nothing newer
  }
  entry.version = version;
  entry.fresh_until = fresh_until;
  if (!may_take) {
    // A newer version exists than any figure held: serve none until a
    // figure of it (or newer) is taken.
    entry.figure.reset();
    return false;
  }
  entry.figure = figure;
  return true;
}

std::vector<std::optional<v1::Availability>> AvailabilityCopy::Lookup(
    const std::vector<std::string>& sessions, absl::Time now) const {
  std::vector<std::optional<v1::Availability>> out(sessions.size());
  absl::ReaderMutexLock lock(&mu_);
  for (size_t i = 0; i < sessions.size(); ++i) {
    auto found = entries_.find(sessions[i]);
    if (found != entries_.end() && found->second.fresh_until > now) {
      out[i] = found->second.figure;
    }
  }
  return out;
}

std::optional<std::vector<v1::Availability>> AvailabilityCopy::LookupAll(
    const std::vector<std::string>& sessions, absl::Time now) const {
  std::vector<v1::Availability> out;
  out.reserve(sessions.size());
  absl::ReaderMutexLock lock(&mu_);
  for (const std::string& session : sessions) {
    auto found = entries_.find(session);
    if (found == entries_.end() || found->second.fresh_until <= now ||
        !found->second.figure) {
      return std::nullopt;
    }
    out.push_back(*found->second.figure);
  }
  return out;
}

int64_t AvailabilityCopy::VersionSeen(const std::string& session,
                                      absl::Time now) const {
  absl::ReaderMutexLock lock(&mu_);
  auto found = entries_.find(session);
  if (found == entries_.end() || found->second.fresh_until <= now) return 0;
  return found->second.version;
}

void AvailabilityCopy::Suspend() {
  absl::MutexLock lock(&mu_);
  for (auto& [session, entry] : entries_) entry.figure.reset();
  suspended_ = true;
  ++epoch_;
}

void AvailabilityCopy::Resume() {
  absl::MutexLock lock(&mu_);
  suspended_ = false;
  ++epoch_;
}

bool AvailabilityCopy::suspended() const {
  absl::ReaderMutexLock lock(&mu_);
  return suspended_;
}

void AvailabilityCopy::DropExpired(absl::Time now) {
  absl::MutexLock lock(&mu_);
  absl::erase_if(
      entries_, [now](const auto& kv) { return kv.second.fresh_until <= now; });
}

}  // namespace training::booking

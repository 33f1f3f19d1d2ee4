#ifndef TRAINING_SERVICES_BOOKING_AVAILABILITY_COPY_H_
#define TRAINING_SERVICES_BOOKING_AVAILABILITY_COPY_H_

// Availability figures held in this process: each with the version of the
// session's counts it shows and the time until which it may be served.
// A figure is replaced only by a newer version (or, once it has expired,
// by any), so figures offered in any order settle on the newest, and a
// reader never gets a version lower than one already taken.
//
// The copy can be suspended (while it may have missed changes, e.g.
// Redis is unreachable): it then serves nothing and takes nothing, but
// remembers the versions it held until they would have expired, so that
// once resumed it still refuses figures older than those.
//
// Plain C++, no I/O. Thread-safe; lookups share the lock.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "training/booking/v1/resources.pb.h"

namespace training::booking {

class AvailabilityCopy {
 public:
  // Starts serving (`suspended` false) or not.
  explicit AvailabilityCopy(bool suspended = false) : suspended_(suspended) {}

  // Changes whenever the copy is suspended or resumed. A figure read
  // elsewhere is offered with the epoch taken before reading it, so that
  // one read across a suspension is not taken.
  uint64_t epoch() const;

  // Holds `figure` at `version` until `fresh_until`, unless a figure of
  // `version` or newer is held and has not expired, or the copy is
  // suspended, or `epoch` is not the current one. Returns whether it was
  // taken. Even when not taken, `version` is remembered as seen until
  // `fresh_until` (see VersionSeen).
  bool Offer(const v1::Availability& figure, int64_t version,
             absl::Time fresh_until, uint64_t epoch, absl::Time now);

  // One entry per session, in order: the figure held and not expired at
  // `now`, or nullopt.
  std::vector<std::optional<v1::Availability>> Lookup(
      const std::vector<std::string>& sessions, absl::Time now) const;
  // Every session's figure, or nullopt unless all are held.
  std::optional<std::vector<v1::Availability>> LookupAll(
      const std::vector<std::string>& sessions, absl::Time now) const;

  // The newest version held or seen for `session` that has not expired at
  // `now`; 0 when none.
  int64_t VersionSeen(const std::string& session, absl::Time now) const;

  // Drops every figure (keeping the versions seen) and takes none until
  // Resume.
  void Suspend();
  void Resume();
  bool suspended() const;

  // Forgets entries that expired before `now`.
  void DropExpired(absl::Time now);

 private:
  struct Entry {
    int64_t version = 0;
    std::optional<v1::Availability> figure;
    absl::Time fresh_until;
  };

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  bool suspended_ ABSL_GUARDED_BY(mu_);
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_AVAILABILITY_COPY_H_

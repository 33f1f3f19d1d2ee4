#ifndef TRAINING_SERVICES_BOOKING_SESSION_LEARNER_H_
#define TRAINING_SERVICES_BOOKING_SESSION_LEARNER_H_

// Makes sure a session booking has not heard of is stored before anything
// is decided about it: found in the database (another replica stored it),
// or asked of the catalogue and stored. A session is asked about once at a
// time however many requests for it arrive together (single flight: a
// flash crowd on a new session costs the catalogue one call, not one per
// request); once stored, catalogue events keep it fresh and it is never
// asked about again.
//
// Thread-safe.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/booking/caller.h"
#include "services/booking/store.h"

namespace training::booking {

// Where booking learns about a session it has not heard of yet (the
// catalogue, over gRPC, in production).
class SessionDirectory {
 public:
  virtual ~SessionDirectory() = default;
  // The session's facts and its course's rules. NOT_FOUND when the catalogue
  // has no such session; UNAVAILABLE when it cannot answer in time.
  virtual absl::StatusOr<std::pair<SessionFacts, CourseRules>> Lookup(
      const std::string& session, const Caller& caller) = 0;
};

// Runs `work` on a thread that may block; false when none will take it
// (the worker pool is full or stopping): the work is then not run.
using Offload = std::function<bool(std::function<void()> work)>;

class SessionLearner {
 public:
  // Nothing is owned. Null `offload`: work runs on the caller's thread.
  SessionLearner(BookingStore* store, SessionDirectory* directory,
                 Offload offload);

  // Whether the session is known to be stored; no I/O.
  bool IsKnown(const std::string& session) const;

  // Calls `then` once the session is stored (OK) or could not be:
  // NOT_FOUND when the catalogue has no such session, UNAVAILABLE when the
  // database or the catalogue did not answer (retry), RESOURCE_EXHAUSTED
  // with a retry hint when no thread was free to ask. Never blocks: the
  // asking runs on `offload`, and `then` on that thread, or on this one
  // when the session is known or the offload refused. The asking serves
  // every request waiting for it, so it runs under no caller's deadline,
  // bounded by the catalogue's timeout and the database's call_timeout.
  void WhenKnown(const std::string& session, const Caller& caller,
                 std::function<void(absl::Status)> then);

  // The same for a thread that may block: asks on this thread unless
  // another is asking already, then waits for that one, for a few seconds
  // at most (then it asks itself) and never past the caller's deadline
  // (DEADLINE_EXCEEDED).
  absl::Status EnsureKnown(const std::string& session, const Caller& caller);

 private:
  // Starts a flight for `session` with `then` as its first waiter, or joins
  // the one in the air. Returns whether a new flight was started.
  bool Join(const std::string& session, std::function<void(absl::Status)> then);
  // Ends the flight: the session is known when `status` is OK; every
  // waiter hears `status`.
  void Land(const std::string& session, const absl::Status& status);
  // Reads the session from the database, or asks the catalogue and stores
  // what it says.
  absl::Status ReadOrAsk(const std::string& session, const Caller& caller);
  // The same for a flight: under no caller's deadline.
  absl::Status ReadOrAskForAll(const std::string& session,
                               const Caller& caller);

  BookingStore* store_;
  SessionDirectory* directory_;
  const Offload offload_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> known_ ABSL_GUARDED_BY(mu_);
  // Sessions being asked about, and who waits for each.
  absl::flat_hash_map<std::string,
                      std::vector<std::function<void(absl::Status)>>>
      flights_ ABSL_GUARDED_BY(mu_);
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_SESSION_LEARNER_H_

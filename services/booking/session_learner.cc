#include "services/booking/session_learner.h"

#include <algorithm>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/time/deadline.h"

namespace training::booking {
namespace {

// How long EnsureKnown waits for another thread's look-up before it asks
// itself.
constexpr absl::Duration kLongestWait = absl::Seconds(5);

}  // namespace

SessionLearner::SessionLearner(BookingStore* store, SessionDirectory* directory,
                               Offload offload)
    : store_(store),
      directory_(directory),
      offload_(offload ? std::move(offload) : [](std::function<void()> work) {
        work();
        return true;
      }) {}

bool SessionLearner::IsKnown(const std::string& session) const {
  absl::MutexLock lock(&mu_);
  return known_.contains(session);
}

bool SessionLearner::Join(const std::string& session,
                          std::function<void(absl::Status)> then) {
  absl::MutexLock lock(&mu_);
  auto [flight, started] = flights_.try_emplace(session);
  flight->second.push_back(std::move(then));
  return started;
}

void SessionLearner::Land(const std::string& session,
                          const absl::Status& status) {
  std::vector<std::function<void(absl::Status)>> waiters;
  {
    absl::MutexLock lock(&mu_);
    auto flight = flights_.find(session);
    if (flight != flights_.end()) {
      waiters = std::move(flight->second);
      flights_.erase(flight);
    }
    if (status.ok()) known_.insert(session);
  }
  for (auto& waiter : waiters) waiter(status);
}

void SessionLearner::WhenKnown(const std::string& session, const Caller& caller,
                               std::function<void(absl::Status)> then) {
  if (IsKnown(session)) {
    then(absl::OkStatus());
    return;
  }
  if (!Join(session, std::move(then))) return;  // asked already: wait
  const bool offloaded = offload_([this, session, caller] {
    Land(session, ReadOrAskForAll(session, caller));
  });
  if (!offloaded) {
    Land(session,
         OverloadedError("booking: too busy to look the session up; retry "
                         "shortly"));
  }
}

absl::Status SessionLearner::EnsureKnown(const std::string& session,
                                         const Caller& caller) {
  if (IsKnown(session)) return absl::OkStatus();
  auto outcome = std::make_shared<absl::Status>();
  auto landed = std::make_shared<absl::Notification>();
  const bool asking = Join(session, [outcome, landed](absl::Status status) {
    *outcome = std::move(status);
    landed->Notify();
  });
  if (asking) {
    Land(session, ReadOrAskForAll(session, caller));
    return *outcome;
  }
  // The flight in the air may be queued behind busy workers, some of them
  // waiting here: wait a while, then ask on this thread rather than risk
  // every worker waiting for work none of them will run.
  if (landed->WaitForNotificationWithDeadline(
          std::min(caller.deadline, absl::Now() + kLongestWait))) {
    return *outcome;
  }
  if (absl::Now() >= caller.deadline) {
    return absl::DeadlineExceededError(
        "booking.session: still being looked up when the deadline passed");
  }
  return ReadOrAsk(session, caller);
}

absl::Status SessionLearner::ReadOrAskForAll(const std::string& session,
                                             const Caller& caller) {
  // A flight answers every request waiting for it, so it runs under none
  // of their deadlines (a hurried first caller would fail the whole
  // crowd): the catalogue call has its own timeout, the database its
  // call_timeout.
  ScopedDeadline unhurried(absl::InfiniteFuture());
  Caller asking = caller;
  asking.deadline = absl::InfiniteFuture();
  return ReadOrAsk(session, asking);
}

absl::Status SessionLearner::ReadOrAsk(const std::string& session,
                                       const Caller& caller) {
  bool stored = false;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(auto inventory, tx.ReadInventory(session));
        stored = inventory.has_value();
        return absl::OkStatus();
      }));
  if (stored) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto facts, directory_->Lookup(session, caller));
  return store_->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        // The session's row before its course's: the one lock order (the
        // SessionScheduled event takes them so on another replica).
        RETURN_IF_ERROR(tx.PutSessionFacts(facts.first).status());
        return tx.PutCourseRules(facts.second).status();
      });
}

}  // namespace training::booking

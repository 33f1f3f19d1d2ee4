#ifndef TRAINING_SERVICES_NOTIFICATION_SCHEDULE_RULES_H_
#define TRAINING_SERVICES_NOTIFICATION_SCHEDULE_RULES_H_

// The messages sent at a time rather than at once, in plain C++ (no gRPC,
// no SQL): when each is due, and whether it still goes when its time comes.
//
//   REMINDER              before the start, at each of `reminder_offsets`,
//                         for a place confirmed before that time
//   JOINING_INSTRUCTIONS  online sessions, `joining_lead` before the start
//                         (at once when the place came later, before the
//                         start)
//   FEEDBACK_REQUEST      `after_session_delay` after the end, to those
//                         marked ATTENDED, unless they opted out
//   NO_SHOW_NOTICE        the same, to those marked NO_SHOW, when the
//                         course has a no-show policy
//
// A reminder more than a day late (the service was down, a fact came
// late) is dropped: a later one, or the session itself, is nearer.
//
// A slot is fixed to the session's start or end (its anchor) and an offset,
// so that a session moving moves its slots. Everything is checked again
// when the slot is due, against what booking and the catalogue say then:
// the facts that would have cancelled a message may still be on their way.

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "training/notification/v1/resources.pb.h"

namespace training::notification {

struct ScheduleOptions {
  std::vector<absl::Duration> reminder_offsets = {absl::Hours(14 * 24),
                                                  absl::Hours(2 * 24)};
  absl::Duration joining_lead = absl::Hours(24);
  absl::Duration after_session_delay = absl::Hours(1);
};

// What a slot's time is measured from.
enum class Anchor { kStart = 1, kEnd = 2 };

struct ScheduleSlot {
  v1::MessageKind kind = v1::MESSAGE_KIND_UNSPECIFIED;
  Anchor anchor = Anchor::kStart;
  absl::Duration offset;  // negative: before the anchor
  absl::Time due;
};

// The slot's time for a session running from `start` to `end`.
absl::Time SlotTime(Anchor anchor, absl::Duration offset, absl::Time start,
                    absl::Time end);

// The slots of a place confirmed at `confirmed_at`: reminders whose time is
// still to come then, and joining instructions for an online session that
// has not started.
std::vector<ScheduleSlot> SlotsForConfirmedPlace(const ScheduleOptions& options,
                                                 absl::Time start, bool online,
                                                 absl::Time confirmed_at);

// The slot of a message after the session (FEEDBACK_REQUEST or
// NO_SHOW_NOTICE), attendance having been recorded at `recorded_at`: due
// `after_session_delay` after the end, or at once when that has passed.
ScheduleSlot SlotAfterSession(const ScheduleOptions& options,
                              v1::MessageKind kind, absl::Time end,
                              absl::Time recorded_at);

// What is known when a slot comes due.
struct DueCheck {
  v1::MessageKind kind = v1::MESSAGE_KIND_UNSPECIFIED;
  Anchor anchor = Anchor::kStart;
  absl::Duration offset;
  absl::Time now;
  // The booking, now.
  bool confirmed = false;  // CONFIRMED, on the slot's session
  bool attended = false;   // marked ATTENDED
  bool no_show = false;    // marked NO_SHOW
  // The session, now.
  bool session_cancelled = false;
  absl::Time start;
  absl::Time end;
  bool online = false;
  bool has_joining_link = false;
  // The recipient.
  bool opted_out_of_feedback = false;
  // The course.
  bool has_no_show_policy = false;
};

struct DueDecision {
  enum Verdict { kSend, kCancel, kWaitUntil } verdict = kSend;
  std::string reason{};  // kCancel: why, for the delivery log
  absl::Time wait_until{};
};

DueDecision DecideDue(const DueCheck& check);

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_SCHEDULE_RULES_H_

#include "services/notification/schedule_rules.h"

#include <algorithm>

namespace training::notification {
namespace {

// How long joining instructions wait for a link the catalogue has not got
// yet, before asking again.
constexpr absl::Duration kJoiningLinkRecheck = absl::Minutes(15);
// How late a reminder may still go.
constexpr absl::Duration kReminderGrace = absl::Hours(24);

DueDecision Cancel(std::string reason) {
  return {.verdict = DueDecision::kCancel, .reason = std::move(reason)};
}

DueDecision WaitUntil(absl::Time until) {
  return {.verdict = DueDecision::kWaitUntil, .wait_until = until};
}

}  // namespace

absl::Time SlotTime(Anchor anchor, absl::Duration offset, absl::Time start,
                    absl::Time end) {
  return (anchor == Anchor::kStart ? start : end) + offset;
}

std::vector<ScheduleSlot> SlotsForConfirmedPlace(const ScheduleOptions& options,
                                                 absl::Time start, bool online,
                                                 absl::Time confirmed_at) {
  std::vector<ScheduleSlot> slots;
  if (start <= confirmed_at) return slots;
  for (absl::Duration before : options.reminder_offsets) {
    const absl::Time due = start - before;
    // A reminder whose time had passed when the place was confirmed would
    // arrive late and say less than the confirmation did.
    if (due <= confirmed_at) continue;
    slots.push_back({v1::REMINDER, Anchor::kStart, -before, due});
  }
  if (online) {
    slots.push_back({v1::JOINING_INSTRUCTIONS, Anchor::kStart,
                     -options.joining_lead,
                     std::max(start - options.joining_lead, confirmed_at)});
  }
  return slots;
}

ScheduleSlot SlotAfterSession(const ScheduleOptions& options,
                              v1::MessageKind kind, absl::Time end,
                              absl::Time recorded_at) {
  return {kind, Anchor::kEnd, options.after_session_delay,
          std::max(end + options.after_session_delay, recorded_at)};
}

DueDecision DecideDue(const DueCheck& c) {
  if (c.session_cancelled) return Cancel("the session was cancelled");
  const absl::Time slot = SlotTime(c.anchor, c.offset, c.start, c.end);
  switch (c.kind) {
    case v1::REMINDER:
    case v1::JOINING_INSTRUCTIONS:
      if (!c.confirmed) return Cancel("the place is no longer confirmed");
      if (c.now >= c.start) return Cancel("the session had started");
      // The session moved later since the slot was stored.
      if (slot > c.now) return WaitUntil(slot);
      if (c.kind == v1::REMINDER && c.now - slot > kReminderGrace) {
        return Cancel("its time had passed by more than a day");
      }
      if (c.kind == v1::JOINING_INSTRUCTIONS && !c.online) {
        return Cancel("the session is no longer online");
      }
      if (c.kind == v1::JOINING_INSTRUCTIONS && !c.has_joining_link) {
        return WaitUntil(std::min(c.now + kJoiningLinkRecheck, c.start));
      }
      return {};
    case v1::FEEDBACK_REQUEST:
      if (!c.attended) return Cancel("not marked as attended");
      if (c.opted_out_of_feedback) {
        return Cancel("the recipient opted out of feedback requests");
      }
      // Attendance recorded early: wait for the end, as scheduled.
      if (slot > c.now) return WaitUntil(slot);
      return {};
    case v1::NO_SHOW_NOTICE:
      if (!c.no_show) return Cancel("not marked as a no-show");
      if (!c.has_no_show_policy) {
        return Cancel("the course has no no-show policy");
      }
      if (slot > c.now) return WaitUntil(slot);
      return {};
    default:
      return Cancel("not a scheduled kind of message");
  }
}

}  // namespace training::notification

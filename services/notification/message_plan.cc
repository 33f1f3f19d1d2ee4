#include "services/notification/message_plan.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace training::notification {
namespace {

using Event = events::v1::Event;
using Cancelled = events::v1::BookingCancelled;

PlannedMessage ToAttendee(v1::MessageKind kind, const std::string& booking,
                          const std::string& session,
                          CalendarPart calendar = CalendarPart::kNone) {
  PlannedMessage m;
  m.kind = kind;
  m.booking = booking;
  m.session = session;
  m.calendar = calendar;
  return m;
}

std::vector<PlannedMessage> ForCancellation(const Cancelled& c) {
  Cancelled::Cause cause = c.cause();
  if (cause == Cancelled::CAUSE_UNSPECIFIED && c.session_cancelled()) {
    cause = Cancelled::SESSION_CANCELLED;  // written before `cause` was
  }
  v1::MessageKind kind = v1::BOOKING_CANCELLED;
  switch (cause) {
    case Cancelled::PERSONAL_DATA_ERASED:
      return {};  // an erased person is sent nothing
    case Cancelled::TRAINING_TEAM:
      kind = v1::BOOKING_CANCELLED_BY_TEAM;
      break;
    case Cancelled::SESSION_CANCELLED:
      kind = v1::SESSION_CANCELLED;
      break;
    default:
      break;
  }
  // Only a confirmed place is in the person's calendar.
  const CalendarPart calendar = c.previous_state() == "confirmed"
                                    ? CalendarPart::kCancel
                                    : CalendarPart::kNone;
  return {ToAttendee(kind, c.booking(), c.session(), calendar)};
}

bool ChangesWhatAttendeesNeed(const events::v1::SessionChanged& changed) {
  for (int change : changed.changes()) {
    if (change == events::v1::TIME || change == events::v1::PLACE ||
        change == events::v1::JOINING_DETAILS) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<PlannedMessage> PlanMessages(const Event& event) {
  switch (event.payload_case()) {
    case Event::kBookingConfirmed: {
      const auto& e = event.booking_confirmed();
      return {ToAttendee(v1::BOOKING_CONFIRMED, e.booking(), e.session(),
                         CalendarPart::kRequest)};
    }
    case Event::kBookingWaitlisted: {
      const auto& e = event.booking_waitlisted();
      return {ToAttendee(v1::BOOKING_WAITLISTED, e.booking(), e.session())};
    }
    case Event::kPlaceOffered: {
      const auto& e = event.place_offered();
      return {ToAttendee(v1::PLACE_OFFERED, e.booking(), e.session())};
    }
    case Event::kBookingPromoted: {
      const auto& e = event.booking_promoted();
      return {ToAttendee(v1::BOOKING_PROMOTED, e.booking(), e.session(),
                         CalendarPart::kRequest)};
    }
    case Event::kOfferExpired: {
      const auto& e = event.offer_expired();
      return {ToAttendee(v1::OFFER_EXPIRED, e.booking(), e.session())};
    }
    case Event::kBookingCancelled:
      return ForCancellation(event.booking_cancelled());
    case Event::kAttendeeSubstituted: {
      const auto& e = event.attendee_substituted();
      PlannedMessage replaced = ToAttendee(v1::ATTENDEE_REPLACED, e.booking(),
                                           e.session(), CalendarPart::kCancel);
      replaced.role = v1::Delivery::REPLACED_ATTENDEE;
      replaced.previous_contact_id = e.previous_contact_id();
      std::vector<PlannedMessage> out;
      if (!e.previous_contact_id().empty()) out.push_back(std::move(replaced));
      out.push_back(ToAttendee(v1::ATTENDEE_SUBSTITUTED, e.booking(),
                               e.session(), CalendarPart::kRequest));
      return out;
    }
    case Event::kSessionChanged: {
      const auto& e = event.session_changed();
      if (!ChangesWhatAttendeesNeed(e)) return {};
      return {ToAttendee(v1::SESSION_CHANGED, "", e.session().name(),
                         CalendarPart::kRequest)};
    }
    default:
      return {};
  }
}

std::set<std::string> PlaceholdersFor(v1::MessageKind kind) {
  // An enquiry is about no booking.
  // The acknowledgement goes to whatever address was typed: it carries no
  // words the sender chose, not even the name.
  if (kind == v1::ENQUIRY_ACKNOWLEDGEMENT) {
    return {"reference", "about", "team_email"};
  }
  if (kind == v1::ENQUIRY_FORWARD) {
    return {"name",       "reference",      "about",
            "team_email", "enquirer_email", "enquiry_text"};
  }
  // What every message about a booking can say.
  std::set<std::string> names = {
      "name",         "reference",         "course_title",
      "session_date", "session_time",      "time_zone",
      "place",        "is_online",         "manage_link",
      "team_email",   "line_manager_copy", "for_attendee"};
  switch (kind) {
    case v1::BOOKING_WAITLISTED:
      names.insert("waitlist_position");
      break;
    case v1::PLACE_OFFERED:
      names.insert({"offer_deadline"});
      break;
    case v1::BOOKING_CANCELLED:
      names.insert({"late"});
      break;
    case v1::SESSION_CANCELLED:
      names.insert({"cancellation_reason"});
      break;
    case v1::SESSION_CHANGED:
      names.insert({"what_changed", "time_changed", "place_changed",
                    "joining_details_changed"});
      break;
    case v1::JOINING_INSTRUCTIONS:
      names.insert("joining_link");
      break;
    case v1::FEEDBACK_REQUEST:
      names.insert({"feedback_link", "opt_out_link"});
      break;
    case v1::NO_SHOW_NOTICE:
      names.insert("no_show_policy");
      break;
    default:
      break;
  }
  return names;
}

std::string DefaultTemplateSlug(v1::MessageKind kind) {
  return absl::StrReplaceAll(absl::AsciiStrToLower(v1::MessageKind_Name(kind)),
                             {{"_", "-"}});
}

std::string CalendarUid(absl::string_view reference, absl::string_view session,
                        absl::string_view domain) {
  // The session's own id keeps the UID unique should a booking's place
  // ever move; the reference keeps one person's events apart.
  absl::string_view session_id = session.substr(session.rfind('/') + 1);
  return absl::StrCat(reference, "-", session_id, "@", domain);
}

}  // namespace training::notification

#ifndef TRAINING_SERVICES_NOTIFICATION_MESSAGE_PLAN_H_
#define TRAINING_SERVICES_NOTIFICATION_MESSAGE_PLAN_H_

// Which messages a fact calls for, in plain C++ (no gRPC, no SQL): the
// rules of the service in one table. Each planned message names its kind,
// who it is for, whether it carries a calendar part, and whether it goes to
// one booking or to every confirmed booking of a session.
//
//   BookingConfirmed     BOOKING_CONFIRMED + REQUEST
//   BookingWaitlisted    BOOKING_WAITLISTED (position)
//   PlaceOffered         PLACE_OFFERED (deadline)
//   BookingPromoted      BOOKING_PROMOTED + REQUEST
//   OfferExpired         OFFER_EXPIRED
//   BookingCancelled     by cause: BOOKING_CANCELLED (attendee),
//                        BOOKING_CANCELLED_BY_TEAM, SESSION_CANCELLED;
//                        nothing after an erasure; + CANCEL when a
//                        confirmed place was given up
//   AttendeeSubstituted  ATTENDEE_REPLACED + CANCEL to the person replaced,
//                        ATTENDEE_SUBSTITUTED + REQUEST to the colleague
//   SessionChanged       SESSION_CHANGED + REQUEST to every confirmed
//                        attendee, when its time, place or joining details
//                        changed
//
// Line-manager copies follow the template's `copy_line_manager`, without a
// calendar part; they are added where the message is composed.

#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "training/events/v1/events.pb.h"
#include "training/notification/v1/resources.pb.h"

namespace training::notification {

enum class CalendarPart { kNone, kRequest, kCancel };

struct PlannedMessage {
  v1::MessageKind kind = v1::MESSAGE_KIND_UNSPECIFIED;
  v1::Delivery::RecipientRole role = v1::Delivery::ATTENDEE;
  CalendarPart calendar = CalendarPart::kNone;
  // The booking it is about; empty for a session-wide message (then sent
  // to each confirmed booking of `session`).
  std::string booking;
  std::string session;
  // For the person a colleague replaced: the event's contact id.
  std::string previous_contact_id;
};

// The messages `event` calls for; empty when none.
std::vector<PlannedMessage> PlanMessages(const events::v1::Event& event);

// The placeholders every message of `kind` can use; a template using any
// other is refused.
std::set<std::string> PlaceholdersFor(v1::MessageKind kind);

// The slug of the default template of `kind` (`booking-confirmed`).
std::string DefaultTemplateSlug(v1::MessageKind kind);

// The calendar UID of a booking's place on a session, the same in every
// message and in the download.
std::string CalendarUid(absl::string_view reference, absl::string_view session,
                        absl::string_view domain);

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_MESSAGE_PLAN_H_

#ifndef TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_EVENT_REACH_H_
#define TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_EVENT_REACH_H_

// Which subscriptions an event reaches, and what each may see of it: the
// contract's table (`(training.events.v1.webhook)` on every payload of
// training.events.v1.Event) applied to one event and one subscriber.
//
// An agency subscriber sees a booking event only for the bookings its own
// organisation's keys made (Event.booked_by, never the organisation an
// attendee typed). An event naming several bookings (AttendanceRecorded)
// reaches it with the others' bookings removed. Fields meant for the
// suite's own services (request id, trace context, a replaced attendee's
// contact id) are removed for everyone.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "training/events/v1/events.pb.h"

namespace training::notification::webhooks {

// Who a subscription belongs to.
struct Subscriber {
  // The agency key's organisation; empty for an admin's subscription.
  std::string organisation;
  bool admin() const { return organisation.empty(); }
};

// Every event type a subscription may name: the full names of the
// payloads of Event's oneof, in field order.
const std::vector<std::string>& WebhookEventTypes();

// The rule of `event_type`; nullopt when it is no payload of Event.
std::optional<events::v1::WebhookRule> RuleOf(absl::string_view event_type);

// Whether a key may subscribe to `event_type`: an admin to any type, an
// agency key (`scopes`) to types that reach agencies and whose scope it
// holds. INVALID_ARGUMENT for an unknown type, PERMISSION_DENIED for one
// the key may not have; the message names the type and the rule.
absl::Status CheckSubscribable(absl::string_view event_type, bool admin,
                               const std::vector<std::string>& scopes);

// The event as `subscriber` may receive it, or nullopt when it is not for
// them.
std::optional<events::v1::Event> EventFor(const events::v1::Event& event,
                                          const Subscriber& subscriber);

// The request body: the event in the protobuf JSON mapping (lowerCamel
// field names, RFC 3339 times).
std::string PayloadJson(const events::v1::Event& event);

}  // namespace training::notification::webhooks

#endif  // TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_EVENT_REACH_H_

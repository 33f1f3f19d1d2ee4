#include "services/notification/webhooks/webhook_fan_out.h"

#include <algorithm>

#include "common/runtime/crash_point.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/notification/webhooks/event_reach.h"
#include "services/notification/webhooks/webhook_store.h"
#include "training/events/v1/webhook_rule.pb.h"

namespace training::notification::webhooks {

absl::Status FanOut(sql::Transaction& tx, const events::v1::Event& event,
                    absl::Time now, const auth::KeyStore* keys) {
  const auto* payload = event.GetReflection()->GetOneofFieldDescriptor(
      event, events::v1::Event::descriptor()->FindOneofByName("payload"));
  if (payload == nullptr) {
    if (event.GetReflection()->GetUnknownFields(event).empty()) {
      // No payload at all: the publisher's bug, set aside at once.
      return absl::InvalidArgumentError("an event without a payload");
    }
    // A type this binary does not know (a newer publisher, mid-upgrade):
    // transient, so that the entry waits for a replica that knows it
    // rather than being acknowledged undelivered.
    return absl::UnavailableError(
        "an event type this release does not know; a newer one will");
  }
  const std::string& type = payload->message_type()->full_name();
  ASSIGN_OR_RETURN(std::vector<WebhookRecord> subscriptions,
                   WebhookStore::Subscriptions(tx));
  const std::string scope =
      RuleOf(type).value_or(events::v1::WebhookRule()).scope();
  const std::shared_ptr<const auth::KeySet> key_set =
      keys == nullptr ? nullptr : keys->Current();
  for (const WebhookRecord& w : subscriptions) {
    if (!w.event_types.empty() &&
        std::find(w.event_types.begin(), w.event_types.end(), type) ==
            w.event_types.end()) {
      continue;
    }
    if (key_set != nullptr && !w.organisation.empty() &&
        (!key_set->OrganisationHolds(w.organisation, "webhooks.manage") ||
         (!scope.empty() &&
          !key_set->OrganisationHolds(w.organisation, scope)))) {
      continue;
    }
    // A subscription hears of what happens after it was made.
    if (FromProto(event.occur_time()) < w.create_time) continue;
    std::optional<events::v1::Event> visible =
        EventFor(event, Subscriber{w.organisation});
    if (!visible) continue;
    RETURN_IF_ERROR(WebhookStore::AddDelivery(
        tx,
        NewWebhookDelivery{.webhook = w.id,
                           .event_id = event.id(),
                           .event_type = type,
                           .event_time = FromProto(event.occur_time()),
                           .payload = PayloadJson(*visible)},
        now));
  }
  runtime::CrashPoint("webhooks.after_fan_out");
  return absl::OkStatus();
}

}  // namespace training::notification::webhooks

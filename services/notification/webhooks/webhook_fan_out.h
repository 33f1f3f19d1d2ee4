#ifndef TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_FAN_OUT_H_
#define TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_FAN_OUT_H_

// Events from the streams become deliveries: one per subscription the
// event reaches (event_reach.h) and that asked for its type, each with the
// body that subscriber may see, stored in the stream consumer's
// transaction (group "webhooks"), so that the entry is acknowledged only
// once every delivery is durable.

#include "absl/status/status.h"
#include "common/auth/api_keys.h"
#include "common/sql/database.h"
#include "common/time/clock.h"
#include "training/events/v1/events.pb.h"

namespace training::notification::webhooks {

// The consumer's handler: stores the deliveries of `event`. An agency's
// subscription gets one only while some key of its organisation in `keys`
// still holds `webhooks.manage` and the event type's scope, so that
// withdrawing an organisation's keys (or a scope) stops its webhooks
// while a rotated key does not; null `keys`: no such check (tests).
absl::Status FanOut(sql::Transaction& tx, const events::v1::Event& event,
                    absl::Time now, const auth::KeyStore* keys);

}  // namespace training::notification::webhooks

#endif  // TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_FAN_OUT_H_

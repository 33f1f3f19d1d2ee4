#ifndef TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_SETUP_H_
#define TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_SETUP_H_

// The notification process's webhook part, from its `--webhook_*` flags:
// the stream consumers (group "webhooks") that fan events out, the
// senders, the metrics, and the WebhookService RPCs.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/redis/redis_client.h"
#include "common/runtime/server_runner.h"
#include "common/sql/database.h"

namespace training::notification::webhooks {

// Adds all of it to `runner`, whose Keep holds what must live as long as
// the server. `owner` names this process in leases.
absl::Status RegisterWebhooks(runtime::ServerRunner& runner,
                              const std::shared_ptr<sql::Database>& db,
                              const std::shared_ptr<redis::RedisClient>& redis,
                              const std::string& owner);

}  // namespace training::notification::webhooks

#endif  // TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_SETUP_H_

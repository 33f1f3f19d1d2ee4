#include "services/notification/webhooks/webhook_setup.h"

#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/auth/hmac_keys.h"
#include "common/events/consumer.h"
#include "common/metrics/metrics.h"
#include "common/runtime/dispatcher.h"
#include "common/runtime/shared_secrets.h"
#include "common/status_macros.h"
#include "services/notification/webhooks/retry_schedule.h"
#include "services/notification/webhooks/secret_box.h"
#include "services/notification/webhooks/webhook_api.h"
#include "services/notification/webhooks/webhook_fan_out.h"
#include "services/notification/webhooks/webhook_store.h"
#include "services/notification/webhooks/webhook_worker.h"
#include "training/notification/v1/webhook_service.grpc.pb.h"

ABSL_FLAG(std::string, webhook_secret_keys, "",
          "Keys that seal webhook secrets at rest, kid:base64url,… (the "
          "first seals; every one listed opens). When empty, one is made "
          "once and kept in <data_dir>/webhook_secret_keys (local runs "
          "only).");
ABSL_FLAG(std::vector<std::string>, webhook_allow_http, {},
          "Hosts whose webhook targets may be http:// (local testing); "
          "every other target must be https.");
ABSL_FLAG(std::vector<std::string>, webhook_allow_addresses, {},
          "Address ranges (127.0.0.2/32, fd00::/8) webhooks may be sent to "
          "although they are not public (local testing).");
ABSL_FLAG(std::string, webhook_ca_file, "",
          "PEM CA bundle trusted for https webhook targets; empty: the "
          "system's trust store (the public CAs agencies' endpoints use).");
ABSL_FLAG(absl::Duration, webhook_timeout, absl::Seconds(10),
          "Longest one webhook attempt may take.");
ABSL_FLAG(absl::Duration, webhook_lease, absl::Seconds(30),
          "How long a sender holds a delivery; must exceed "
          "--webhook_timeout.");
ABSL_FLAG(int, webhook_senders, 4, "Threads sending webhooks.");
ABSL_FLAG(std::vector<std::string>, webhook_retry_schedule,
          std::vector<std::string>({"5s", "5m", "30m", "2h", "5h", "10h",
                                    "10h"}),
          "Waits after each failed attempt, each jittered by up to a fifth; "
          "a delivery fails once they are used up.");
ABSL_FLAG(int, webhook_disable_after_failures, 20,
          "A subscription is disabled after this many attempts in a row "
          "failed…");
ABSL_FLAG(absl::Duration, webhook_disable_after, absl::Hours(24),
          "…the first of them at least this long ago.");
ABSL_FLAG(absl::Duration, webhook_log_retention, absl::Hours(24 * 30),
          "Finished webhook deliveries older than this are deleted.");

namespace training::notification::webhooks {
namespace {

auth::Principal PrincipalOf(const runtime::CallContext& context) {
  return context.principal();
}

template <typename Request, typename Response>
void Bind(runtime::Dispatcher& dispatcher, const std::string& method,
          WebhookApi* api,
          absl::StatusOr<Response> (WebhookApi::*serve)(const auth::Principal&,
                                                        const Request&)) {
  runtime::BindMember(dispatcher, method, api, serve, &PrincipalOf);
}

void RegisterHandlers(runtime::Dispatcher& d, WebhookApi* api) {
  Bind(d, "CreateWebhook", api, &WebhookApi::CreateWebhook);
  Bind(d, "GetWebhook", api, &WebhookApi::GetWebhook);
  Bind(d, "ListWebhooks", api, &WebhookApi::ListWebhooks);
  Bind(d, "UpdateWebhook", api, &WebhookApi::UpdateWebhook);
  Bind(d, "DeleteWebhook", api, &WebhookApi::DeleteWebhook);
  Bind(d, "RotateWebhookSecret", api, &WebhookApi::RotateWebhookSecret);
  Bind(d, "PauseWebhook", api, &WebhookApi::PauseWebhook);
  Bind(d, "ResumeWebhook", api, &WebhookApi::ResumeWebhook);
  Bind(d, "GetWebhookDelivery", api, &WebhookApi::GetWebhookDelivery);
  Bind(d, "ListWebhookDeliveries", api, &WebhookApi::ListWebhookDeliveries);
  Bind(d, "ReplayWebhookDeliveries", api, &WebhookApi::ReplayWebhookDeliveries);
}

absl::StatusOr<TargetPolicy> PolicyFromFlags() {
  TargetPolicy policy;
  policy.http_hosts = absl::GetFlag(FLAGS_webhook_allow_http);
  for (const std::string& text : absl::GetFlag(FLAGS_webhook_allow_addresses)) {
    if (text.empty()) continue;
    absl::StatusOr<AddressRange> range = ParseAddressRange(text);
    if (!range.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--webhook_allow_addresses: ", range.status().message()));
    }
    policy.allowed_ranges.push_back(*range);
  }
  return policy;
}

void AddGauges(const std::shared_ptr<WebhookStore>& store) {
  for (const auto& [state, label] :
       {std::pair{v1::Webhook::ACTIVE, "active"},
        std::pair{v1::Webhook::PAUSED, "paused"},
        std::pair{v1::Webhook::DISABLED, "disabled"}}) {
    metrics::DefaultRegistry().Gauge(
        absl::StrCat("training_webhook_subscriptions_", label),
        absl::StrCat("Webhook subscriptions ", label, "."),
        [s = store, state = state] {
          absl::StatusOr<std::map<int, int64_t>> n = s->WebhooksByState();
          if (!n.ok()) return -1.0;
          auto it = n->find(state);
          return it == n->end() ? 0.0 : static_cast<double>(it->second);
        });
  }
  metrics::DefaultRegistry().Gauge(
      "training_webhook_deliveries_waiting",
      "Webhook deliveries not yet succeeded or failed.", [s = store] {
        absl::StatusOr<int64_t> n = s->WaitingDeliveries();
        return n.ok() ? static_cast<double>(*n) : -1.0;
      });
  metrics::DefaultRegistry().Gauge(
      "training_webhook_oldest_waiting_seconds",
      "Age of the oldest delivery waiting for an active subscription: the "
      "lag of the slowest one (0 when none waits).",
      [s = store] {
        absl::StatusOr<std::optional<absl::Time>> oldest = s->OldestWaiting();
        if (!oldest.ok()) return -1.0;
        return *oldest ? absl::ToDoubleSeconds(absl::Now() - **oldest) : 0.0;
      });
}

}  // namespace

absl::Status RegisterWebhooks(runtime::ServerRunner& runner,
                              const std::shared_ptr<sql::Database>& db,
                              const std::shared_ptr<redis::RedisClient>& redis,
                              const std::string& owner) {
  const runtime::ServerOptions& options = runner.options();
  ASSIGN_OR_RETURN(std::shared_ptr<auth::HmacKeys> keys,
                   runtime::LoadSharedSecrets<auth::HmacKeys>(
                       options, absl::GetFlag(FLAGS_webhook_secret_keys),
                       "--webhook_secret_keys (TRAINING_WEBHOOK_SECRET_KEYS)",
                       "webhook_secret_keys", &auth::HmacKeys::Parse));
  ASSIGN_OR_RETURN(TargetPolicy policy, PolicyFromFlags());
  absl::StatusOr<std::vector<absl::Duration>> schedule =
      ParseRetrySchedule(absl::GetFlag(FLAGS_webhook_retry_schedule));
  if (!schedule.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--webhook_retry_schedule: ", schedule.status().message()));
  }
  const absl::Duration timeout = absl::GetFlag(FLAGS_webhook_timeout);
  if (timeout <= absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_webhook_lease) <= timeout) {
    return absl::InvalidArgumentError(
        "--webhook_timeout must be above 0 and --webhook_lease longer");
  }
  if (absl::GetFlag(FLAGS_webhook_senders) < 1 ||
      absl::GetFlag(FLAGS_webhook_disable_after_failures) < 1) {
    return absl::InvalidArgumentError(
        "--webhook_senders and --webhook_disable_after_failures: must be at "
        "least 1");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<WebhookStore> store,
                   WebhookStore::Open(db.get()));
  auto secrets = std::make_shared<SecretBox>(keys.get());
  auto worker = std::make_shared<WebhookWorker>(
      store.get(), secrets.get(), Clock::Real(),
      WebhookWorkerOptions{
          .http = {.policy = policy,
                   .timeout = timeout,
                   .max_response_bytes = 4096,
                   .ca_file = absl::GetFlag(FLAGS_webhook_ca_file)},
          .retry_schedule = *schedule,
          .disable = {.failures =
                          absl::GetFlag(FLAGS_webhook_disable_after_failures),
                      .period = absl::GetFlag(FLAGS_webhook_disable_after)},
          .lease = absl::GetFlag(FLAGS_webhook_lease),
          .senders = absl::GetFlag(FLAGS_webhook_senders),
          .retention = absl::GetFlag(FLAGS_webhook_log_retention),
          .owner = owner});
  auto api = std::make_shared<WebhookApi>(store.get(), secrets.get(),
                                          Clock::Real(), policy);
  std::vector<std::shared_ptr<void>> kept = {keys, store, secrets, api, worker};
  for (const char* stream :
       {"training.events.booking", "training.events.catalogue",
        "training.events.content"}) {
    auto consumer = std::make_shared<events::StreamConsumer>(
        db.get(), redis.get(),
        events::ConsumerOptions{
            .stream = stream, .group = "webhooks", .consumer = owner},
        [keys = runner.runtime().keys](sql::Transaction& tx,
                                       const events::v1::Event& event) {
          return FanOut(tx, event, absl::Now(), keys);
        },
        [w = worker.get()](const events::v1::Event&) { w->Wake(); });
    consumer->Start();
    kept.push_back(consumer);
  }
  AddGauges(store);
  worker->Start();
  // Released newest first: the threads stop before what they use.
  for (std::shared_ptr<void>& k : kept) runner.Keep(std::move(k));
  runtime::DispatchedService service =
      runtime::MakeService<v1::WebhookService>(runner.runtime());
  RegisterHandlers(*service.dispatcher, api.get());
  runner.AddService(std::move(service));
  return absl::OkStatus();
}

}  // namespace training::notification::webhooks

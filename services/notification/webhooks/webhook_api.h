#ifndef TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_API_H_
#define TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_API_H_

// The WebhookService RPCs: subscriptions, their secrets, pausing, the
// delivery log and replays. An agency key sees only its organisation's
// subscriptions (another's is NOT_FOUND, never PERMISSION_DENIED, so that
// names cannot be probed); an admin key sees every one.

#include "absl/status/statusor.h"
#include "common/auth/access.h"
#include "common/time/clock.h"
#include "google/protobuf/empty.pb.h"
#include "services/notification/webhooks/secret_box.h"
#include "services/notification/webhooks/target_policy.h"
#include "services/notification/webhooks/webhook_store.h"
#include "training/notification/v1/webhook_service.pb.h"

namespace training::notification::webhooks {

class WebhookApi {
 public:
  // Nothing is owned; all must outlive this.
  WebhookApi(WebhookStore* store, const SecretBox* secrets, const Clock* clock,
             TargetPolicy policy)
      : store_(store),
        secrets_(secrets),
        clock_(clock),
        policy_(std::move(policy)) {}

  using Caller = auth::Principal;
  absl::StatusOr<v1::Webhook> CreateWebhook(const Caller&,
                                            const v1::CreateWebhookRequest&);
  absl::StatusOr<v1::Webhook> GetWebhook(const Caller&,
                                         const v1::GetWebhookRequest&);
  absl::StatusOr<v1::ListWebhooksResponse> ListWebhooks(
      const Caller&, const v1::ListWebhooksRequest&);
  absl::StatusOr<v1::Webhook> UpdateWebhook(const Caller&,
                                            const v1::UpdateWebhookRequest&);
  absl::StatusOr<google::protobuf::Empty> DeleteWebhook(
      const Caller&, const v1::DeleteWebhookRequest&);
  absl::StatusOr<v1::Webhook> RotateWebhookSecret(
      const Caller&, const v1::RotateWebhookSecretRequest&);
  absl::StatusOr<v1::Webhook> PauseWebhook(const Caller&,
                                           const v1::PauseWebhookRequest&);
  absl::StatusOr<v1::Webhook> ResumeWebhook(const Caller&,
                                            const v1::ResumeWebhookRequest&);
  absl::StatusOr<v1::WebhookDelivery> GetWebhookDelivery(
      const Caller&, const v1::GetWebhookDeliveryRequest&);
  absl::StatusOr<v1::ListWebhookDeliveriesResponse> ListWebhookDeliveries(
      const Caller&, const v1::ListWebhookDeliveriesRequest&);
  absl::StatusOr<v1::ReplayWebhookDeliveriesResponse> ReplayWebhookDeliveries(
      const Caller&, const v1::ReplayWebhookDeliveriesRequest&);

 private:
  // The caller's subscription named `name` (reported on `field`):
  // INVALID_ARGUMENT when malformed, NOT_FOUND when none is theirs.
  absl::StatusOr<WebhookRecord> Owned(const Caller& caller,
                                      const std::string& name,
                                      const std::string& field);
  // Stores a changed subscription (new etag); ABORTED when it changed
  // meanwhile. Its run of failures is kept unless `reset_failures`.
  absl::StatusOr<v1::Webhook> Save(WebhookRecord next,
                                   const std::string& expected_etag,
                                   bool reset_failures = false);

  WebhookStore* store_;
  const SecretBox* secrets_;
  const Clock* clock_;
  const TargetPolicy policy_;
};

// The resource as returned (no secret).
v1::Webhook ResourceOf(const WebhookRecord& r);

}  // namespace training::notification::webhooks

#endif  // TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_API_H_

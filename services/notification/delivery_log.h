#ifndef TRAINING_SERVICES_NOTIFICATION_DELIVERY_LOG_H_
#define TRAINING_SERVICES_NOTIFICATION_DELIVERY_LOG_H_

// The delivery log's RPCs: one delivery, a filtered page newest first,
// counts by Notify status, and the two changes an admin may make (retry a
// failed message, cancel one not yet sent). Addresses appear masked only.

#include "absl/status/statusor.h"
#include "common/auth/access.h"
#include "common/time/clock.h"
#include "services/notification/store.h"
#include "training/notification/v1/notification_service.pb.h"

namespace training::notification {

class DeliveryLog {
 public:
  // Neither is owned; both must outlive this.
  DeliveryLog(NotificationStore* store, const Clock* clock)
      : store_(store), clock_(clock) {}

  absl::StatusOr<v1::Delivery> GetDelivery(const auth::Principal&,
                                           const v1::GetDeliveryRequest& r);
  absl::StatusOr<v1::ListDeliveriesResponse> ListDeliveries(
      const auth::Principal&, const v1::ListDeliveriesRequest& r);
  absl::StatusOr<v1::CountDeliveriesResponse> CountDeliveries(
      const auth::Principal&, const v1::CountDeliveriesRequest& r);
  absl::StatusOr<v1::Delivery> RetryDelivery(const auth::Principal&,
                                             const v1::RetryDeliveryRequest& r);
  absl::StatusOr<v1::Delivery> CancelDelivery(
      const auth::Principal&, const v1::CancelDeliveryRequest& r);

 private:
  NotificationStore* store_;
  const Clock* clock_;
};

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_DELIVERY_LOG_H_

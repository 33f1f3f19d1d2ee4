#ifndef TRAINING_SERVICES_NOTIFICATION_RECIPIENTS_H_
#define TRAINING_SERVICES_NOTIFICATION_RECIPIENTS_H_

// The RPCs about the people messages go to, rather than the messages: the
// feedback opt-out a feedback request's link leads to, and the suppression
// list an admin reads and lifts entries from, and the subject access
// export.

#include "absl/status/statusor.h"
#include "common/auth/access.h"
#include "common/auth/hmac_keys.h"
#include "common/time/clock.h"
#include "google/protobuf/empty.pb.h"
#include "services/notification/store.h"
#include "training/notification/v1/notification_service.pb.h"

namespace training::notification {

class Recipients {
 public:
  // Nothing is owned; all must outlive this.
  Recipients(NotificationStore* store, const auth::HmacKeys* keys,
             const Clock* clock)
      : store_(store), keys_(keys), clock_(clock) {}

  // Idempotent; INVALID_ARGUMENT for a token no key made, NOT_FOUND when
  // its message is unknown or its address was erased.
  absl::StatusOr<google::protobuf::Empty> OptOutOfFeedback(
      const auth::Principal&, const v1::OptOutOfFeedbackRequest& r);
  absl::StatusOr<v1::ListSuppressionsResponse> ListSuppressions(
      const auth::Principal&, const v1::ListSuppressionsRequest& r);
  absl::StatusOr<google::protobuf::Empty> DeleteSuppression(
      const auth::Principal&, const v1::DeleteSuppressionRequest& r);
  // Everything kept about an address: its messages (masked, as the log
  // shows them), its enquiries with their words, its opt-out and its
  // suppression.
  absl::StatusOr<v1::PersonalDataExport> ExportPersonalData(
      const auth::Principal&, const v1::ExportPersonalDataRequest& r);

 private:
  NotificationStore* store_;
  const auth::HmacKeys* keys_;
  const Clock* clock_;
};

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_RECIPIENTS_H_

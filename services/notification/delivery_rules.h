#ifndef TRAINING_SERVICES_NOTIFICATION_DELIVERY_RULES_H_
#define TRAINING_SERVICES_NOTIFICATION_DELIVERY_RULES_H_

// The rules of delivering one message, in plain C++: how a recipient is
// shown (one masking rule for the whole suite), what an SMTP relay's
// answer means, how long to wait before trying again, and GOV.UK Notify's
// names for where a message stands.

#include <string>

#include "absl/random/bit_gen_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace training::notification {

// "j***@example.org": the first character and the whole domain, so that an
// agency can see where mail went and no one can read the address back.
// "***" for text with no "@" or nothing before it.
std::string MaskRecipient(absl::string_view email);

// GOV.UK Notify's statuses, by their names.
enum class NotifyStatus {
  kCreated,           // waiting to be sent
  kSending,           // being handed to the relay, or to be retried
  kDelivered,         // accepted by the relay
  kTemporaryFailure,  // the relay kept saying "later" until we gave up
  kPermanentFailure,  // the relay refused it (5xx): not retried
  kTechnicalFailure,  // ours or the relay's set-up: no connection, no auth
};
const char* NotifyStatusName(NotifyStatus status);

// What one attempt's outcome means.
enum class SendOutcome {
  kAccepted,   // 2xx: delivered
  kTemporary,  // 4xx, no connection, a timeout: try again later
  kPermanent,  // 5xx: the relay will never take it
  kTechnical,  // 530/535 (authentication): a set-up problem, not the
               // message's; retried, and technical-failure when given up
};
// `reply_code` is the relay's last SMTP reply (0 when none came);
// `transport_failed` when the connection failed or timed out.
SendOutcome ClassifySmtpReply(int reply_code, bool transport_failed);

// Exponential backoff with full jitter: a uniform wait in
// [0, min(cap, base * 2^attempt)), attempt counting from 0.
absl::Duration RetryDelay(int attempt, absl::Duration base, absl::Duration cap,
                          absl::BitGenRef random);

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_DELIVERY_RULES_H_

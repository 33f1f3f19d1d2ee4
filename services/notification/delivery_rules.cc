#include "services/notification/delivery_rules.h"

#include <algorithm>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"

namespace training::notification {

std::string MaskRecipient(absl::string_view email) {
  const size_t at = email.rfind('@');
  if (at == absl::string_view::npos || at == 0) return "***";
  // The first character whole, even when it is several UTF-8 bytes.
  size_t first = 1;
  while (first < at &&
         (static_cast<unsigned char>(email[first]) & 0xC0) == 0x80) {
    ++first;
  }
  return absl::StrCat(email.substr(0, first), "***", email.substr(at));
}

const char* NotifyStatusName(NotifyStatus status) {
  switch (status) {
    case NotifyStatus::kCreated:
      return "created";
    case NotifyStatus::kSending:
      return "sending";
    case NotifyStatus::kDelivered:
      return "delivered";
    case NotifyStatus::kTemporaryFailure:
      return "temporary-failure";
    case NotifyStatus::kPermanentFailure:
      return "permanent-failure";
    case NotifyStatus::kTechnicalFailure:
      return "technical-failure";
  }
  return "technical-failure";
}

SendOutcome ClassifySmtpReply(int reply_code, bool transport_failed) {
  if (transport_failed || reply_code == 0) return SendOutcome::kTemporary;
  if (reply_code >= 200 && reply_code < 300) return SendOutcome::kAccepted;
  if (reply_code == 530 || reply_code == 535) return SendOutcome::kTechnical;
  if (reply_code >= 400 && reply_code < 500) return SendOutcome::kTemporary;
  if (reply_code >= 500 && reply_code < 600) return SendOutcome::kPermanent;
  return SendOutcome::kTechnical;  // not an SMTP reply at all
}

absl::Duration RetryDelay(int attempt, absl::Duration base, absl::Duration cap,
                          absl::BitGenRef random) {
  absl::Duration ceiling = base;
  for (int i = 0; i < attempt && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  if (ceiling <= absl::ZeroDuration()) return absl::ZeroDuration();
  return absl::Nanoseconds(
      absl::Uniform<int64_t>(random, 0, absl::ToInt64Nanoseconds(ceiling)));
}

}  // namespace training::notification

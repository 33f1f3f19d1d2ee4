#ifndef TRAINING_SERVICES_NOTIFICATION_ENQUIRIES_H_
#define TRAINING_SERVICES_NOTIFICATION_ENQUIRIES_H_

// "Get in touch": an enquiry is kept, forwarded to the training team's
// address (replies go to the sender) and acknowledged to the sender, all in
// one transaction, so that none of the three happens without the others.
// The acknowledgement does not repeat the question: the form must not
// carry words of a stranger's choosing to someone's inbox. Each address may
// send `per_address_per_hour` in an hour (the gateway limits each client
// too); a retry with the same request_id returns the first answer.

#include <string>

#include "absl/status/statusor.h"
#include "common/auth/access.h"
#include "common/time/clock.h"
#include "services/notification/directory.h"
#include "services/notification/message_builder.h"
#include "services/notification/store.h"
#include "training/notification/v1/notification_service.pb.h"

namespace training::notification {

struct EnquiryOptions {
  SenderConfig sender{};
  // Where enquiries go; empty: the sender's address (`--mail_from`).
  std::string team_address{};
  int per_address_per_hour = 3;
};

class Enquiries {
 public:
  // Nothing is owned; all must outlive this.
  Enquiries(NotificationStore* store, Directory* directory, const Clock* clock,
            EnquiryOptions options)
      : store_(store),
        directory_(directory),
        clock_(clock),
        options_(std::move(options)) {}

  absl::StatusOr<v1::Enquiry> CreateEnquiry(const auth::Principal&,
                                            const v1::CreateEnquiryRequest& r);

 private:
  // The session in words ("Introduction to Motivational Interviewing on
  // Tuesday 30 March 2027"); INVALID_ARGUMENT when there is no such session.
  absl::StatusOr<std::string> About(const std::string& session);
  // The forward and the acknowledgement, rendered in `tx`.
  absl::StatusOr<std::vector<NewDelivery>> Messages(sql::Transaction& tx,
                                                    const EnquiryRecord& e,
                                                    const std::string& about,
                                                    absl::Time now);

  NotificationStore* store_;
  Directory* directory_;
  const Clock* clock_;
  const EnquiryOptions options_;
};

// The enquiry as the API shows it: the address masked.
v1::Enquiry EnquiryToProto(const EnquiryRecord& e);

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_ENQUIRIES_H_

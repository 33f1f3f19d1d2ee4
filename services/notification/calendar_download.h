#ifndef TRAINING_SERVICES_NOTIFICATION_CALENDAR_DOWNLOAD_H_
#define TRAINING_SERVICES_NOTIFICATION_CALENDAR_DOWNLOAD_H_

// The add-to-calendar download of a booking: the same event the invites
// carry (same UID, the SEQUENCE last sent) as METHOD:PUBLISH. The booking's
// manage token is checked by booking (CheckBookingAccess): this service
// never holds the token secret. An admin key needs no token.

#include "absl/status/statusor.h"
#include "common/auth/access.h"
#include "common/time/clock.h"
#include "google/api/httpbody.pb.h"
#include "services/notification/directory.h"
#include "services/notification/message_builder.h"
#include "services/notification/store.h"
#include "training/notification/v1/notification_service.pb.h"

namespace training::notification {

class CalendarDownload {
 public:
  // Nothing is owned; all must outlive this.
  CalendarDownload(NotificationStore* store, Directory* directory,
                   const Clock* clock, SenderConfig sender)
      : store_(store),
        directory_(directory),
        clock_(clock),
        sender_(std::move(sender)) {}

  absl::StatusOr<google::api::HttpBody> DownloadBookingCalendar(
      const auth::Principal& caller,
      const v1::DownloadBookingCalendarRequest& r);

 private:
  NotificationStore* store_;
  Directory* directory_;
  const Clock* clock_;
  const SenderConfig sender_;
};

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_CALENDAR_DOWNLOAD_H_

#include "services/notification/calendar_download.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "services/notification/message_plan.h"

namespace training::notification {

namespace booking = training::booking::v1;

absl::StatusOr<google::api::HttpBody> CalendarDownload::DownloadBookingCalendar(
    const auth::Principal& caller,
    const v1::DownloadBookingCalendarRequest& r) {
  absl::string_view reference = r.booking();
  if (!absl::ConsumePrefix(&reference, "bookings/") || reference.empty() ||
      reference.size() > 32 || reference.find('/') != absl::string_view::npos) {
    return InvalidArgumentError({{"booking", "must be bookings/{reference}"}});
  }
  if (caller.kind == auth::Principal::Kind::kManageToken) {
    // Booking answers NOT_FOUND for every mismatch alike.
    ASSIGN_OR_RETURN(booking::BookingAccess access,
                     directory_->CheckAccess(r.booking(), caller.manage_token));
    (void)access;
  }
  ASSIGN_OR_RETURN(booking::AttendeeContact contact,
                   directory_->Contact(r.booking(), ""));
  if (contact.state() != booking::Booking::CONFIRMED ||
      contact.session().empty()) {
    return WithErrorInfo(
        absl::FailedPreconditionError(
            "booking: only a confirmed place can be added to a calendar"),
        "NOT_CONFIRMED");
  }
  ASSIGN_OR_RETURN(SessionDetails session,
                   directory_->Session(contact.session(), true));
  const std::string uid =
      CalendarUid(contact.reference(), contact.session(), sender_.mail_domain);
  ASSIGN_OR_RETURN(int64_t sequence, store_->CurrentCalendarSequence(uid));
  CalendarEvent event = BookingCalendarEvent(
      sender_, session, contact.reference(), contact.session(),
      {contact.display_name(), contact.email()}, sequence, clock_->Now());
  ASSIGN_OR_RETURN(std::string ics,
                   WriteCalendar(event, CalendarMethod::kPublish));
  google::api::HttpBody body;
  body.set_content_type("text/calendar; charset=utf-8; method=PUBLISH");
  body.set_data(std::move(ics));
  return body;
}

}  // namespace training::notification

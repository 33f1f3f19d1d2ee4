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
  // The token holder's booking, as booking's check answers it (NOT_FOUND
  // for every mismatch alike); an admin's, from the contact look-up.
  // PUBLISH names no attendee, so nothing more is needed.
  booking::BookingAccess access;
  if (caller.kind == auth::Principal::Kind::kManageToken) {
    ASSIGN_OR_RETURN(access,
                     directory_->CheckAccess(r.booking(), caller.manage_token));
  } else {
    ASSIGN_OR_RETURN(booking::AttendeeContact contact,
                     directory_->Contact(r.booking(), ""));
    access.set_state(contact.state());
    access.set_session(contact.session());
  }
  if (access.state() != booking::Booking::CONFIRMED ||
      access.session().empty()) {
    return WithErrorInfo(
        absl::FailedPreconditionError(
            "booking: only a confirmed place can be added to a calendar"),
        "NOT_CONFIRMED");
  }
  const std::string ref(reference);
  ASSIGN_OR_RETURN(SessionDetails session,
                   directory_->Session(access.session(), true));
  const std::string uid =
      CalendarUid(ref, access.session(), sender_.mail_domain);
  ASSIGN_OR_RETURN(int64_t sequence, store_->CurrentCalendarSequence(uid));
  CalendarEvent event = BookingCalendarEvent(
      sender_, session, ref, access.session(), {}, sequence, clock_->Now());
  ASSIGN_OR_RETURN(std::string ics,
                   WriteCalendar(event, CalendarMethod::kPublish));
  google::api::HttpBody body;
  body.set_content_type("text/calendar; charset=utf-8; method=PUBLISH");
  body.set_data(std::move(ics));
  return body;
}

}  // namespace training::notification

#include "services/booking/internal_lookups.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "services/booking/booking_context.h"
#include "services/booking/domain.h"

namespace training::booking {

namespace {

constexpr int kDefaultSessionPage = 500;
constexpr int kMaxSessionPage = 1000;

}  // namespace

absl::StatusOr<v1::AttendeeContact> InternalLookups::GetAttendeeContact(
    const Caller&, const v1::GetAttendeeContactRequest& r) {
  ASSIGN_OR_RETURN(std::string reference,
                   internal::CheckBookingName(r.booking(), "booking"));
  if (r.previous_contact_id().size() > 100) {
    return InvalidArgumentError(
        {{"previous_contact_id", "must be an id from an event"}});
  }
  v1::AttendeeContact contact;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        contact.Clear();
        ASSIGN_OR_RETURN(std::optional<StoredBooking> stored,
                         tx.FindBooking(reference));
        if (!stored) return internal::BookingNotFound();
        const v1::Booking& b = stored->booking;
        contact.set_booking(b.name());
        contact.set_reference(b.reference());
        contact.set_session(b.session());
        contact.set_course(b.course());
        contact.set_state(b.state());
        contact.set_attendance(b.attendance());
        contact.set_agency_type(b.attendee().agency_type());
        if (!r.previous_contact_id().empty()) {
          ASSIGN_OR_RETURN(std::optional<PreviousContact> previous,
                           tx.FindPreviousContact(r.previous_contact_id()));
          // An id of another booking opens nothing.
          if (!previous || previous->reference != reference) {
            return internal::BookingNotFound();
          }
          contact.set_display_name(previous->display_name);
          contact.set_email(previous->email);
          return absl::OkStatus();
        }
        // Erased: nobody to write to.
        if (b.attendee().email().empty()) return internal::BookingNotFound();
        contact.set_display_name(b.attendee().display_name());
        contact.set_email(b.attendee().email());
        contact.set_line_manager_email(b.attendee().line_manager_email());
        contact.set_manage_token(views_->CurrentToken(*stored));
        return absl::OkStatus();
      }));
  return contact;
}

absl::StatusOr<v1::ListSessionBookingsResponse>
InternalLookups::ListSessionBookings(const Caller&,
                                     const v1::ListSessionBookingsRequest& r) {
  std::vector<FieldViolation> violations;
  if (!IsSessionName(r.session())) {
    violations.push_back(
        {"session", "must be courses/{course}/sessions/{session}"});
  }
  if (r.page_size() < 0) {
    violations.push_back({"page_size", "must not be negative"});
  }
  std::vector<int> states = internal::BookingStatesOf(r.states(), violations);
  if (r.states().empty()) {
    states = {v1::Booking::CONFIRMED, v1::Booking::OFFERED};
  }
  const std::string filters = requests::FiltersFingerprint(r);
  const int64_t before_seq =
      internal::BeforeSeqOf(r.page_token(), filters, violations);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  const int limit = r.page_size() == 0
                        ? kDefaultSessionPage
                        : std::min(r.page_size(), kMaxSessionPage);
  v1::ListSessionBookingsResponse response;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        response.Clear();
        ASSIGN_OR_RETURN(
            std::vector<StoredBooking> page,
            tx.ListBookings(r.session(), "", states, before_seq, limit + 1));
        const bool more = static_cast<int>(page.size()) > limit;
        if (more) page.resize(limit);
        for (const StoredBooking& stored : page) {
          response.add_bookings(stored.booking.name());
        }
        if (more) {
          response.set_next_page_token(requests::EncodePageToken(
              {absl::StrCat(page.back().seq), page.back().booking.name()},
              filters));
        }
        return absl::OkStatus();
      }));
  return response;
}

absl::StatusOr<v1::BookingAccess> InternalLookups::CheckBookingAccess(
    const Caller&, const v1::CheckBookingAccessRequest& r) {
  ASSIGN_OR_RETURN(std::string reference,
                   internal::CheckBookingName(r.booking(), "booking"));
  if (r.manage_token().empty()) {
    return InvalidArgumentError(
        {{"manage_token", "must be the token the end user presented"}});
  }
  // The token is checked as if its holder had called booking directly.
  Caller holder;
  holder.kind = Caller::Kind::kTokenHolder;
  holder.manage_token = r.manage_token();
  v1::BookingAccess access;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<StoredBooking> stored,
                         tx.FindBooking(reference));
        if (!stored) return internal::BookingNotFound();
        RETURN_IF_ERROR(views_->Authorize(holder, *stored));
        const v1::Booking& b = stored->booking;
        access.set_booking(b.name());
        access.set_state(b.state());
        access.set_session(b.session());
        access.set_course(b.course());
        access.set_attendance(b.attendance());
        return absl::OkStatus();
      }));
  return access;
}

}  // namespace training::booking

#include "services/booking/booking_view.h"

#include <optional>
#include <vector>

#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/booking/booking_context.h"

namespace training::booking {

BookingViews::BookingViews(const ManageTokens* tokens, const Clock* clock)
    : tokens_(tokens), clock_(clock) {}

absl::Status BookingViews::Authorize(const Caller& caller,
                                     const StoredBooking& stored) const {
  if (caller.kind == Caller::Kind::kAdmin) return absl::OkStatus();
  if (caller.kind == Caller::Kind::kTokenHolder &&
      tokens_->Verify(stored.booking.name(), stored.token_version,
                      caller.manage_token)) {
    return absl::OkStatus();
  }
  return internal::BookingNotFound();
}

absl::StatusOr<bool> BookingViews::RetriesItsSubstitution(
    BookingTransaction& tx, const StoredBooking& stored, const Caller& caller,
    const std::string& request_id, const std::string& fingerprint) const {
  if (caller.kind != Caller::Kind::kTokenHolder || request_id.empty() ||
      stored.token_version < 2 ||
      !tokens_->Verify(stored.booking.name(), stored.token_version - 1,
                       caller.manage_token)) {
    return false;
  }
  // Only a retry of what just happened: soon after the substitution, and
  // while nothing has changed the booking since. Later, the old token is
  // as dead as any other.
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(std::vector<v1::Substitution> substitutions,
                   tx.Substitutions(stored.booking.reference()));
  if (substitutions.empty()) return false;
  const absl::Time substituted =
      FromProto(substitutions.back().substitute_time());
  if (now - substituted > kSubstitutionRetryWindow ||
      FromProto(stored.booking.update_time()) != substituted) {
    return false;
  }
  ASSIGN_OR_RETURN(std::optional<RequestRecord> record,
                   tx.FindRequest(request_id, now));
  return record && record->fingerprint == fingerprint &&
         record->reference == stored.booking.reference();
}

absl::StatusOr<v1::Booking> BookingViews::View(BookingTransaction& tx,
                                               const StoredBooking& stored,
                                               const Caller& caller,
                                               TokenInView token) const {
  v1::Booking b = stored.booking;
  if (b.state() == v1::Booking::WAITLISTED) {
    ASSIGN_OR_RETURN(int position,
                     b.scope() == v1::Booking::ANY_DATE
                         ? tx.AnyDatePosition(b.course(), stored.seq)
                         : tx.WaitlistPosition(b.session(), stored.seq));
    b.set_waitlist_position(position);
  }
  if (b.state() != v1::Booking::OFFERED) b.clear_offer();
  ASSIGN_OR_RETURN(std::vector<v1::Substitution> substitutions,
                   tx.Substitutions(b.reference()));
  for (auto& s : substitutions) *b.add_substitutions() = std::move(s);
  if (caller.kind != Caller::Kind::kAdmin) {
    b.mutable_attendee()->clear_access_needs();
  }
  if (token == TokenInView::kOriginal && stored.token_version > 1 &&
      caller.kind != Caller::Kind::kAdmin) {
    // A replay of the CreateBooking of a place since passed on: whoever
    // made it gets the booking, but nothing of the colleague who holds it.
    const auto agency_type = b.attendee().agency_type();
    b.clear_attendee();
    b.mutable_attendee()->set_agency_type(agency_type);
  }
  if (token == TokenInView::kCurrent ||
      (token == TokenInView::kOriginal && stored.token_version == 1)) {
    b.set_manage_token(
        tokens_->Issue(b.name(), stored.token_version, stored.token_kid));
  }
  return b;
}

}  // namespace training::booking

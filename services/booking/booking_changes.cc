#include "services/booking/booking_changes.h"

#include <optional>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/random/secure_bytes.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/text/text.h"
#include "common/time/proto_time.h"
#include "services/booking/booking_events.h"
#include "services/booking/domain.h"
#include "services/booking/domain_proto.h"

namespace training::booking {

using internal::BookingNotFound;
using internal::CheckBookingName;
using internal::EndBooking;
using internal::IsActive;
using internal::Refused;
using internal::SaveCounts;

namespace {

v1::Cancellation::Cause CauseOf(const Caller& caller) {
  return caller.kind == Caller::Kind::kAdmin ? v1::Cancellation::ADMIN
                                             : v1::Cancellation::ATTENDEE;
}

absl::Status CheckRequestId(const std::string& request_id) {
  if (request_id.empty() || text::IsUuid(request_id)) return absl::OkStatus();
  return InvalidArgumentError({{"request_id", "must be a UUID"}});
}

// Leave and accept requests are alike on the wire (a name and an id): the
// type keeps one's id from replaying the other.
std::string ChangeFingerprint(const google::protobuf::Message& r) {
  return internal::Fingerprint(r) + ":" + r.GetDescriptor()->name();
}

}  // namespace

absl::StatusOr<StoredBooking> BookingChanges::FindAndLock(
    BookingTransaction& tx, const std::string& reference, const Access& access,
    SessionInventory& inventory) const {
  ASSIGN_OR_RETURN(std::optional<StoredBooking> found,
                   tx.FindBooking(reference));
  if (!found) return BookingNotFound();
  RETURN_IF_ERROR(access(tx, *found));
  // Lock the session first, then read the booking again: its state (and
  // its token version) is only trustworthy under the lock. An any-date
  // entry still waiting has no session: the course's lock guards it.
  inventory = SessionInventory{};
  if (found->booking.session().empty()) {
    RETURN_IF_ERROR(tx.LockCourse(found->booking.course()));
  } else {
    ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                     tx.LockInventory(found->booking.session()));
    if (!locked) return absl::InternalError("booking: session unknown");
    inventory = *std::move(locked);
  }
  ASSIGN_OR_RETURN(found, tx.FindBooking(reference));
  if (found->booking.session() != inventory.session) {
    return TransactionConflictError("booking: placed meanwhile; run again");
  }
  RETURN_IF_ERROR(access(tx, *found));
  return *std::move(found);
}

BookingChanges::Change BookingChanges::Once(
    const google::protobuf::Message& request, const std::string& request_id,
    Change change) const {
  if (request_id.empty()) return change;
  return [this, request_id, fingerprint = ChangeFingerprint(request),
          change = std::move(change)](
             BookingTransaction& tx, StoredBooking& stored,
             SessionInventory& inventory) -> absl::Status {
    const absl::Time now = context_.clock->Now();
    ASSIGN_OR_RETURN(std::optional<RequestRecord> earlier,
                     internal::EarlierRun(tx, request_id, fingerprint, now));
    if (earlier) return absl::OkStatus();  // done already: answer as now
    RETURN_IF_ERROR(change(tx, stored, inventory));
    return tx.RecordRequest(request_id,
                            {fingerprint, stored.booking.reference()}, now);
  };
}

absl::StatusOr<v1::Booking> BookingChanges::ChangeBooking(
    const Caller& caller, const std::string& reference, const Change& change,
    TokenInView token, Access access) const {
  if (!access) {
    access = [&](BookingTransaction&, const StoredBooking& found) {
      return context_.views->Authorize(caller, found);
    };
  }
  SessionInventory inventory;
  RETURN_IF_ERROR(context_.store->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(StoredBooking stored,
                         FindAndLock(tx, reference, access, inventory));
        return change(tx, stored, inventory);
      }));
  context_.RefreshCache(inventory);
  v1::Booking view;
  RETURN_IF_ERROR(context_.store->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<StoredBooking> now_stored,
                         tx.FindBooking(reference));
        if (!now_stored) return BookingNotFound();
        ASSIGN_OR_RETURN(view,
                         context_.views->View(tx, *now_stored, caller, token));
        return absl::OkStatus();
      }));
  return view;
}

absl::StatusOr<v1::Booking> BookingChanges::Cancel(
    const Caller& caller, const v1::CancelBookingRequest& r) const {
  ASSIGN_OR_RETURN(std::string reference, CheckBookingName(r.name(), "name"));
  if (text::Utf8Length(r.reason()) > 500) {
    return InvalidArgumentError({{"reason", "must be at most 500 characters"}});
  }
  RETURN_IF_ERROR(CheckRequestId(r.request_id()));
  return ChangeBooking(
      caller, reference,
      Once(r, r.request_id(),
           [&](BookingTransaction& tx, StoredBooking& stored,
               SessionInventory& inventory) -> absl::Status {
             v1::Booking& b = stored.booking;
             if (!r.etag().empty() && r.etag() != b.etag()) {
               return WithErrorInfo(
                   absl::AbortedError(
                       "etag: the booking changed since it was read"),
                   "ETAG_MISMATCH");
             }
             if (!IsActive(b.state()))
               return absl::OkStatus();  // already ended
             const v1::Booking::State before = b.state();
             EndBooking(stored, inventory, v1::Booking::CANCELLED,
                        CauseOf(caller), r.reason(), context_.clock->Now());
             RETURN_IF_ERROR(tx.UpdateBooking(stored));
             RETURN_IF_ERROR(tx.ForgetPreviousContacts(b.reference()));
             RETURN_IF_ERROR(tx.AddEvent(
                 CancelledEvent(caller, b, before, CancelCauseOf(caller))));
             // The freed place goes to the head of the waiting list in this
             // same transaction, so it is never given twice nor left empty.
             RETURN_IF_ERROR(waitlist_->Promote(tx, inventory, caller));
             return SaveCounts(tx, inventory);
           }));
}

absl::StatusOr<v1::Booking> BookingChanges::LeaveWaitlist(
    const Caller& caller, const v1::LeaveWaitlistRequest& r) const {
  ASSIGN_OR_RETURN(std::string reference, CheckBookingName(r.name(), "name"));
  RETURN_IF_ERROR(CheckRequestId(r.request_id()));
  return ChangeBooking(
      caller, reference,
      Once(r, r.request_id(),
           [&](BookingTransaction& tx, StoredBooking& stored,
               SessionInventory& inventory) -> absl::Status {
             v1::Booking& b = stored.booking;
             if (b.state() == v1::Booking::LEFT_WAITLIST)
               return absl::OkStatus();
             if (b.state() != v1::Booking::WAITLISTED) {
               return Refused("name: the booking is not on a waiting list",
                              "NOT_WAITLISTED");
             }
             EndBooking(stored, inventory, v1::Booking::LEFT_WAITLIST,
                        CauseOf(caller), "", context_.clock->Now());
             RETURN_IF_ERROR(tx.UpdateBooking(stored));
             RETURN_IF_ERROR(tx.AddEvent(CancelledEvent(
                 caller, b, v1::Booking::WAITLISTED, CancelCauseOf(caller))));
             return SaveCounts(tx, inventory);
           }));
}

absl::StatusOr<v1::Booking> BookingChanges::AcceptOffer(
    const Caller& caller, const v1::AcceptOfferRequest& r) const {
  ASSIGN_OR_RETURN(std::string reference, CheckBookingName(r.name(), "name"));
  RETURN_IF_ERROR(CheckRequestId(r.request_id()));
  return ChangeBooking(
      caller, reference,
      Once(r, r.request_id(),
           [&](BookingTransaction& tx, StoredBooking& stored,
               SessionInventory& inventory) -> absl::Status {
             v1::Booking& b = stored.booking;
             if (b.state() == v1::Booking::CONFIRMED && b.has_offer()) {
               return absl::OkStatus();  // accepted already: a retry
             }
             if (b.state() != v1::Booking::OFFERED) {
               return Refused("name: the booking has no open offer",
                              "NO_OFFER");
             }
             const absl::Time now = context_.clock->Now();
             if (now >= FromProto(b.offer().expire_time())) {
               return Refused("name: the offer has expired", "OFFER_EXPIRED");
             }
             b.set_state(v1::Booking::CONFIRMED);
             *b.mutable_confirm_time() = ToProto(now);
             *b.mutable_update_time() = ToProto(now);
             --inventory.offers;
             ++inventory.confirmed;
             RETURN_IF_ERROR(tx.UpdateBooking(stored));
             RETURN_IF_ERROR(tx.AddEvent(PromotedEvent(
                 caller, b,
                 ::training::events::v1::BookingPromoted::OFFER_ACCEPTED)));
             return SaveCounts(tx, inventory);
           }));
}

absl::StatusOr<v1::Booking> BookingChanges::DeclineOffer(
    const Caller& caller, const v1::DeclineOfferRequest& r) const {
  ASSIGN_OR_RETURN(std::string reference, CheckBookingName(r.name(), "name"));
  RETURN_IF_ERROR(CheckRequestId(r.request_id()));
  return ChangeBooking(
      caller, reference,
      Once(r, r.request_id(),
           [&](BookingTransaction& tx, StoredBooking& stored,
               SessionInventory& inventory) -> absl::Status {
             v1::Booking& b = stored.booking;
             if (b.state() == v1::Booking::CANCELLED &&
                 b.cancellation().cause() == v1::Cancellation::OFFER_DECLINED) {
               return absl::OkStatus();  // declined already: a retry
             }
             if (b.state() != v1::Booking::OFFERED) {
               return Refused("name: the booking has no open offer",
                              "NO_OFFER");
             }
             return waitlist_->EndOffer(tx, stored, inventory,
                                        v1::Cancellation::OFFER_DECLINED,
                                        caller);
           }));
}

absl::StatusOr<v1::Booking> BookingChanges::Substitute(
    const Caller& caller, const v1::SubstituteAttendeeRequest& r) const {
  ASSIGN_OR_RETURN(std::string reference, CheckBookingName(r.name(), "name"));
  std::vector<FieldViolation> violations;
  ValidateAttendee(r.attendee(), "attendee", violations);
  if (!r.request_id().empty() && !text::IsUuid(r.request_id())) {
    violations.push_back({"request_id", "must be a UUID"});
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  const std::string fingerprint = internal::Fingerprint(r);
  return ChangeBooking(
      caller, reference,
      [&](BookingTransaction& tx, StoredBooking& stored,
          SessionInventory& inventory) -> absl::Status {
        return SubstituteLocked(tx, caller, r, fingerprint, stored, inventory);
      },
      TokenInView::kCurrent,
      [&](BookingTransaction& tx, const StoredBooking& found) -> absl::Status {
        absl::Status own = context_.views->Authorize(caller, found);
        if (own.ok()) return own;
        ASSIGN_OR_RETURN(bool retry,
                         context_.views->RetriesItsSubstitution(
                             tx, found, caller, r.request_id(), fingerprint));
        return retry ? absl::OkStatus() : own;
      });
}

absl::Status BookingChanges::SubstituteLocked(
    BookingTransaction& tx, const Caller& caller,
    const v1::SubstituteAttendeeRequest& r, const std::string& fingerprint,
    StoredBooking& stored, const SessionInventory& inventory) const {
  const absl::Time now = context_.clock->Now();
  ASSIGN_OR_RETURN(std::optional<RequestRecord> earlier,
                   internal::EarlierRun(tx, r.request_id(), fingerprint, now));
  if (earlier) return absl::OkStatus();  // done already
  v1::Booking& b = stored.booking;
  if (b.state() != v1::Booking::CONFIRMED) {
    return Refused("name: only a confirmed place can be passed on",
                   "NOT_CONFIRMED");
  }
  RETURN_IF_ERROR(
      CheckEligible(inventory, AgencyTypeOf(r.attendee().agency_type())));
  ASSIGN_OR_RETURN(
      bool duplicate,
      tx.HasActiveBooking(b.session(), EmailKey(r.attendee().email()),
                          b.reference()));
  if (duplicate) {
    return WithErrorInfo(
        absl::AlreadyExistsError(
            "attendee.email: already holds a booking for this session"),
        "ALREADY_BOOKED");
  }
  v1::Substitution substitution;
  *substitution.mutable_substitute_time() = ToProto(now);
  substitution.set_actor(caller.kind == Caller::Kind::kAdmin ? "admin"
                                                             : "attendee");
  ASSIGN_OR_RETURN(const std::string contact_bytes, random::SecureBytes(16));
  const std::string contact_id = absl::WebSafeBase64Escape(contact_bytes);
  RETURN_IF_ERROR(tx.AddSubstitution(b.reference(), substitution, contact_id,
                                     b.attendee()));
  // The place is the colleague's now: the replaced attendee's token stops
  // opening it, and the answer carries the colleague's.
  ASSIGN_OR_RETURN(stored.token_version, tx.RenewTokenVersion(b.reference()));
  *b.mutable_attendee() = r.attendee();
  *b.mutable_update_time() = ToProto(now);
  RETURN_IF_ERROR(tx.UpdateBooking(stored));
  RETURN_IF_ERROR(tx.AddEvent(SubstitutedEvent(caller, b, contact_id)));
  if (!r.request_id().empty()) {
    RETURN_IF_ERROR(
        tx.RecordRequest(r.request_id(), {fingerprint, b.reference()}, now));
  }
  return absl::OkStatus();
}

}  // namespace training::booking

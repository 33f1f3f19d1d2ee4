#include "services/booking/booking_context.h"

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/booking/domain.h"
#include "services/booking/domain_proto.h"

namespace training::booking {

void BookingContext::RefreshCache(const SessionInventory& inventory) const {
  if (cache == nullptr || inventory.session.empty()) return;
  cache->Write(AvailabilityOf(inventory, clock->Now()), inventory.version);
}

namespace internal {

absl::Status Busy() {
  return OverloadedError("booking: too busy to take this now; retry shortly");
}

namespace {
// traceparent: version-traceid-parentid-flags (W3C Trace Context).
absl::string_view TraceIdOf(const std::string& traceparent) {
  return traceparent.size() >= 35 ? absl::string_view(traceparent).substr(3, 32)
                                  : absl::string_view();
}
}  // namespace

CallerScope::CallerScope(const Caller& caller)
    : deadline_(caller.deadline),
      log_context_(caller.request_id, TraceIdOf(caller.traceparent)),
      scoped_deadline_(caller.deadline) {}

absl::Status CallerScope::Expired() const {
  return absl::Now() > deadline_
             ? absl::DeadlineExceededError("deadline passed while queued")
             : absl::OkStatus();
}

absl::Status BookingNotFound() {
  return absl::NotFoundError("booking: not found");
}

absl::Status Refused(absl::string_view message, std::string reason) {
  return WithErrorInfo(absl::FailedPreconditionError(message),
                       std::move(reason));
}

std::string Fingerprint(const google::protobuf::Message& request) {
  return requests::RequestFingerprint(request);
}

absl::StatusOr<std::string> CheckBookingName(absl::string_view name,
                                             absl::string_view field) {
  std::optional<std::string> reference = ParseBookingName(name);
  if (!reference) {
    return InvalidArgumentError(
        {{std::string(field),
          "must be bookings/{reference} with an 8-character reference"}});
  }
  return *reference;
}

bool IsActive(v1::Booking::State state) {
  return booking::IsActive(static_cast<BookingState>(state));
}

void EndBooking(StoredBooking& stored, SessionInventory& inventory,
                v1::Booking::State end_state, v1::Cancellation::Cause cause,
                const std::string& reason, absl::Time now) {
  v1::Booking& b = stored.booking;
  const bool was_confirmed = b.state() == v1::Booking::CONFIRMED;
  ReleasePlace(inventory, SeatOf(b));
  auto* cancellation = b.mutable_cancellation();
  *cancellation->mutable_cancel_time() = ToProto(now);
  cancellation->set_cause(cause);
  cancellation->set_reason(reason);
  cancellation->set_late(was_confirmed && IsLateCancellation(inventory, now));
  b.set_state(end_state);
  *b.mutable_update_time() = ToProto(now);
}

absl::StatusOr<std::optional<RequestRecord>> EarlierRun(
    BookingTransaction& tx, const std::string& request_id,
    const std::string& fingerprint, absl::Time now) {
  if (request_id.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<RequestRecord> record,
                   tx.FindRequest(request_id, now));
  ASSIGN_OR_RETURN(const RequestRecord* replayed,
                   requests::Replayed(record, fingerprint));
  if (replayed == nullptr) return std::nullopt;
  return record;
}

absl::Status SaveCounts(BookingTransaction& tx, SessionInventory& inventory) {
  if (inventory.session.empty()) return absl::OkStatus();
  return tx.SaveCounts(inventory);
}

int64_t BeforeSeqOf(const std::string& page_token, const std::string& filters,
                    std::vector<FieldViolation>& violations) {
  if (page_token.empty()) return 0;
  int64_t before_seq = 0;
  absl::StatusOr<requests::PageKey> key =
      requests::DecodePageToken(page_token, filters);
  if (!key.ok() || !absl::SimpleAtoi(key->sort_key, &before_seq) ||
      before_seq <= 0) {
    violations.push_back(
        {"page_token", "is not a token this list returned for these filters"});
    return 0;
  }
  return before_seq;
}

std::vector<int> BookingStatesOf(
    const google::protobuf::RepeatedField<int>& states,
    std::vector<FieldViolation>& violations) {
  std::vector<int> out;
  for (int state : states) {
    if (state == v1::Booking::STATE_UNSPECIFIED ||
        !v1::Booking::State_IsValid(state)) {
      violations.push_back({"states", "must hold known booking states"});
      break;
    }
    out.push_back(state);
  }
  return out;
}

}  // namespace internal
}  // namespace training::booking

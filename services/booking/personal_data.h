#ifndef TRAINING_SERVICES_BOOKING_PERSONAL_DATA_H_
#define TRAINING_SERVICES_BOOKING_PERSONAL_DATA_H_

// Personal data that booking holds, and its end: erasure of everything
// held about an address (the right to erasure), and the housekeeping that
// forgets replaced attendees' contacts and access needs once they are no
// longer needed. Subject access exports are in records.h.
//
// Thread-safe.

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/hmac_keys.h"
#include "services/booking/booking_context.h"
#include "services/booking/waitlist.h"
#include "training/booking/v1/booking_service.pb.h"

namespace training::booking {

class PersonalData {
 public:
  // Nothing is owned; everything must outlive this. `address_keys`: the
  // suite's shared key for hashes of erased addresses (address_hash.h).
  PersonalData(const BookingContext& context, const Waitlist* waitlist,
               const auth::HmacKeys* address_keys)
      : context_(context), waitlist_(waitlist), address_keys_(address_keys) {}

  // Erases everything held about an address: bookings of sessions not yet
  // started are cancelled (their places go to the waiting list), then every
  // booking loses its personal fields (organisation and agency type stay,
  // for the reports), replaced-attendee contacts are deleted and the
  // address is blanked wherever it is named as a line manager; one
  // PersonalDataErased event. Idempotent.
  absl::StatusOr<v1::ErasePersonalDataResponse> Erase(
      const Caller& caller, const v1::ErasePersonalDataRequest& r) const;

  // Housekeeping run every few minutes: forgets the contacts of replaced
  // attendees once their booking's session has ended. Returns how many.
  absl::StatusOr<int64_t> ForgetEndedContacts() const;
  // Housekeeping too: deletes access needs of bookings whose session ended
  // more than `retention` ago. Returns how many.
  absl::StatusOr<int64_t> ForgetAccessNeeds(absl::Duration retention) const;

  // What an erasure locks (defined in personal_data.cc).
  struct ErasureLocks;

 private:
  // Erasure's work under its locks.
  absl::Status EraseUnderLocks(
      BookingTransaction& tx, const Caller& caller,
      const std::string& email_key, std::vector<StoredBooking>& found,
      ErasureLocks& locks, std::set<std::string>& promote,
      v1::ErasePersonalDataResponse& response, const std::string& request_id,
      const std::string& fingerprint, absl::Time now) const;

  const BookingContext& context_;
  const Waitlist* waitlist_;
  const auth::HmacKeys* address_keys_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_PERSONAL_DATA_H_

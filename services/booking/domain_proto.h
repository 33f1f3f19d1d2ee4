#ifndef TRAINING_SERVICES_BOOKING_DOMAIN_PROTO_H_
#define TRAINING_SERVICES_BOOKING_DOMAIN_PROTO_H_

// The contract's enums as the domain's (domain_types.h) and back: used
// where the handler's rooms and the catalogue's facts meet the rules. The
// numbers are the same on both sides (checked here at compile time), so
// each conversion is a cast that cannot drift.

#include "services/booking/domain_types.h"
#include "training/booking/v1/resources.pb.h"
#include "training/catalogue/v1/resources.pb.h"
#include "training/type/v1/agency_type.pb.h"

namespace training::booking {

namespace internal {
template <typename Domain, typename Proto>
constexpr bool Same(Domain domain, Proto proto) {
  return static_cast<int>(domain) == static_cast<int>(proto);
}
}  // namespace internal

static_assert(internal::Same(AgencyType::kChildrensSocialCare,
                             training::type::v1::CHILDRENS_SOCIAL_CARE));
static_assert(internal::Same(AgencyType::kEarlyHelp,
                             training::type::v1::EARLY_HELP));
static_assert(internal::Same(AgencyType::kHealth, training::type::v1::HEALTH));
static_assert(internal::Same(AgencyType::kEducation,
                             training::type::v1::EDUCATION));
static_assert(internal::Same(AgencyType::kPolice, training::type::v1::POLICE));
static_assert(internal::Same(AgencyType::kProbationYouthJustice,
                             training::type::v1::PROBATION_YOUTH_JUSTICE));
static_assert(internal::Same(AgencyType::kHousing,
                             training::type::v1::HOUSING));
static_assert(internal::Same(AgencyType::kVoluntarySector,
                             training::type::v1::VOLUNTARY_SECTOR));
static_assert(internal::Same(AgencyType::kOther, training::type::v1::OTHER));
static_assert(internal::Same(BookingState::kConfirmed, v1::Booking::CONFIRMED));
static_assert(internal::Same(BookingState::kWaitlisted,
                             v1::Booking::WAITLISTED));
static_assert(internal::Same(BookingState::kOffered, v1::Booking::OFFERED));
static_assert(internal::Same(BookingState::kCancelled, v1::Booking::CANCELLED));
static_assert(internal::Same(BookingState::kLeftWaitlist,
                             v1::Booking::LEFT_WAITLIST));
static_assert(internal::Same(BookingScope::kSession, v1::Booking::SESSION));
static_assert(internal::Same(BookingScope::kAnyDate, v1::Booking::ANY_DATE));
static_assert(internal::Same(DeliveryMode::kInPerson,
                             training::catalogue::v1::IN_PERSON));
static_assert(internal::Same(DeliveryMode::kOnline,
                             training::catalogue::v1::ONLINE));
static_assert(internal::Same(DeliveryPreference::kAny,
                             v1::Booking::DELIVERY_PREFERENCE_UNSPECIFIED));
static_assert(internal::Same(DeliveryPreference::kOnlineOnly,
                             v1::Booking::ONLINE_ONLY));
static_assert(internal::Same(DeliveryPreference::kInPersonOnly,
                             v1::Booking::IN_PERSON_ONLY));

inline AgencyType AgencyTypeOf(int agency_type) {
  return static_cast<AgencyType>(agency_type);
}
inline BookingState StateOf(const v1::Booking& b) {
  return static_cast<BookingState>(b.state());
}
inline v1::Booking::State ProtoState(BookingState state) {
  return static_cast<v1::Booking::State>(state);
}
inline DeliveryMode DeliveryModeOf(int mode) {
  return static_cast<DeliveryMode>(mode);
}
inline DeliveryPreference PreferenceOf(const v1::Booking& b) {
  return static_cast<DeliveryPreference>(b.delivery_preference());
}

// What the rules need to know of a booking.
inline SeatHolder SeatOf(const v1::Booking& b, std::string email_key = "") {
  return {StateOf(b), b.scope() == v1::Booking::ANY_DATE,
          AgencyTypeOf(b.attendee().agency_type()), std::move(email_key)};
}

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_DOMAIN_PROTO_H_

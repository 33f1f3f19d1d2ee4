#include "services/booking/domain.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/random/secure_bytes.h"
#include "common/text/booking_names.h"
#include "common/text/text.h"
#include "common/time/proto_time.h"

namespace training::booking {

namespace {

// 32 symbols: no 0/O, 1/I, which people misread from paper and phones.
constexpr const char* kReferenceAlphabet = text::kBookingReferenceAlphabet;
constexpr size_t kReferenceLength = text::kBookingReferenceLength;

absl::Status Refused(absl::string_view message, std::string reason) {
  return WithErrorInfo(absl::FailedPreconditionError(message),
                       std::move(reason));
}

void CheckText(absl::string_view value, size_t min, size_t max,
               absl::string_view prefix, absl::string_view field,
               std::vector<FieldViolation>& out) {
  const size_t length = text::Utf8Length(value);
  if (length < min || length > max) {
    out.push_back(
        {absl::StrCat(prefix, ".", field),
         min == 0 ? absl::StrCat("must be at most ", max, " characters")
                  : absl::StrCat("must be ", min, " to ", max, " characters")});
  }
}

bool IsValidPhone(absl::string_view phone) {
  if (phone.size() < 7 || phone.size() > 20) return false;
  for (size_t i = 0; i < phone.size(); ++i) {
    const char c = phone[i];
    if (absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == ' ')
      continue;
    if (c == '+' && i == 0) continue;
    return false;
  }
  return true;
}

}  // namespace

std::string EmailKey(absl::string_view email) {
  return absl::AsciiStrToLower(email);
}

void ValidateAttendee(const v1::Attendee& a, absl::string_view prefix,
                      std::vector<FieldViolation>& out) {
  CheckText(a.display_name(), 1, 200, prefix, "display_name", out);
  if (!IsValidEmail(a.email())) {
    out.push_back({absl::StrCat(prefix, ".email"),
                   "must be an e-mail address of at most 254 characters"});
  }
  if (!a.phone().empty() && !IsValidPhone(a.phone())) {
    out.push_back({absl::StrCat(prefix, ".phone"),
                   "must be 7 to 20 digits and spaces, with an optional "
                   "leading +"});
  }
  CheckText(a.organisation(), 1, 200, prefix, "organisation", out);
  if (a.agency_type() == training::type::v1::AGENCY_TYPE_UNSPECIFIED ||
      !training::type::v1::AgencyType_IsValid(a.agency_type())) {
    out.push_back({absl::StrCat(prefix, ".agency_type"),
                   "must be one of the listed agency types"});
  }
  CheckText(a.job_role(), 1, 200, prefix, "job_role", out);
  if (!a.line_manager_email().empty() &&
      !IsValidEmail(a.line_manager_email())) {
    out.push_back({absl::StrCat(prefix, ".line_manager_email"),
                   "must be an e-mail address of at most 254 characters"});
  }
  CheckText(a.access_needs(), 0, 2000, prefix, "access_needs", out);
  if (!a.consent_given()) {
    out.push_back({absl::StrCat(prefix, ".consent_given"),
                   "must be true: the partnership needs consent to hold "
                   "these details"});
  }
}

absl::StatusOr<std::string> NewReference(absl::string_view cluster) {
  absl::StatusOr<std::vector<std::string>> references =
      NewReferences(cluster, 1);
  if (!references.ok()) return references.status();
  return std::move(references->front());
}

absl::StatusOr<std::vector<std::string>> NewReferences(
    absl::string_view cluster, size_t count) {
  return NewReferences(cluster, count,
                       [](size_t n) { return random::SecureBytes(n); });
}

absl::StatusOr<std::vector<std::string>> NewReferences(
    absl::string_view cluster, size_t count, const RandomBytes& draw) {
  // FNV-1a: stable across processes, unlike absl::Hash.
  uint32_t hash = 2166136261u;
  for (unsigned char c : cluster) hash = (hash ^ c) * 16777619u;
  constexpr size_t kRandom = kReferenceLength - 2;
  absl::StatusOr<std::string> random = draw(kRandom * count);
  if (!random.ok()) return random.status();
  if (random->size() != kRandom * count) {
    return absl::InternalError("references: too few random bytes");
  }
  const std::string& bytes = *random;
  std::vector<std::string> references(count);
  for (size_t i = 0; i < count; ++i) {
    std::string& reference = references[i];
    reference.reserve(kReferenceLength);
    reference.push_back(kReferenceAlphabet[hash & 31]);
    reference.push_back(kReferenceAlphabet[(hash >> 5) & 31]);
    for (size_t j = 0; j < kRandom; ++j) {
      reference.push_back(kReferenceAlphabet[static_cast<unsigned char>(
                                                 bytes[i * kRandom + j]) %
                                             32]);
    }
  }
  return references;
}

std::optional<std::string> ParseBookingName(absl::string_view name) {
  return text::BookingReferenceOf(name);
}

absl::Status CheckBookable(const SessionInventory& session, absl::Time now) {
  if (!session.scheduled) {
    return Refused("session: cancelled", "SESSION_CANCELLED");
  }
  if (!session.course_published) {
    return Refused("session: its course is not open for booking",
                   "COURSE_NOT_PUBLISHED");
  }
  if (now < session.booking_open) {
    return Refused("session: booking has not opened yet", "BOOKING_NOT_OPEN");
  }
  if (now >= session.booking_close) {
    return Refused("session: booking has closed", "BOOKING_CLOSED");
  }
  return absl::OkStatus();
}

absl::Status CheckEligible(const std::set<AgencyType>& eligible_agency_types,
                           AgencyType agency_type) {
  if (eligible_agency_types.count(agency_type) > 0) {
    return absl::OkStatus();
  }
  return Refused("booking.attendee.agency_type: not eligible for this course",
                 "AGENCY_TYPE_NOT_ELIGIBLE");
}

namespace {

// Unfilled places of each hold still unreleased at `now` (0 for released
// ones), filling holds in order with the occupants of their types.
std::vector<int> UnfilledByHold(const SessionInventory& session,
                                absl::Time now) {
  std::vector<int> unfilled(session.holds.size(), 0);
  std::map<AgencyType, int> left = session.occupants_by_type;
  for (size_t h = 0; h < session.holds.size(); ++h) {
    const HeldPlaces& hold = session.holds[h];
    if (now >= hold.release) continue;
    int filled = 0;
    for (AgencyType type : hold.agency_types) {
      const int take = std::min(hold.places - filled, left[type]);
      left[type] -= take;
      filled += take;
    }
    unfilled[h] = hold.places - filled;
  }
  return unfilled;
}

int Occupied(const SessionInventory& session) {
  return session.confirmed + session.offers;
}

}  // namespace

int HeldUnfilled(const SessionInventory& session, absl::Time now) {
  int held = 0;
  for (int n : UnfilledByHold(session, now)) held += n;
  return std::min(held, std::max(0, session.capacity - Occupied(session)));
}

int FreePlaces(const SessionInventory& session) {
  return std::max(0, session.capacity - Occupied(session));
}

bool IsActive(BookingState state) {
  return state == BookingState::kConfirmed ||
         state == BookingState::kWaitlisted || state == BookingState::kOffered;
}

int PlacesFor(const SessionInventory& session, AgencyType agency_type,
              absl::Time now) {
  const std::vector<int> unfilled = UnfilledByHold(session, now);
  int held = 0, held_for_type = 0;
  for (size_t h = 0; h < unfilled.size(); ++h) {
    held += unfilled[h];
    if (session.holds[h].agency_types.count(agency_type) > 0) {
      held_for_type += unfilled[h];
    }
  }
  const int free = session.capacity - Occupied(session);
  return std::max(0, std::min(free, std::max(0, free - held) + held_for_type));
}

std::optional<std::set<AgencyType>> TypesWithPlaces(
    const SessionInventory& session, absl::Time now) {
  std::set<AgencyType> types;
  if (FreePlaces(session) == 0) return types;
  if (FreePlaces(session) > HeldUnfilled(session, now)) return std::nullopt;
  const std::vector<int> unfilled = UnfilledByHold(session, now);
  for (size_t h = 0; h < unfilled.size(); ++h) {
    if (unfilled[h] > 0) {
      types.insert(session.holds[h].agency_types.begin(),
                   session.holds[h].agency_types.end());
    }
  }
  return types;
}

int Remaining(const SessionInventory& session, absl::Time now) {
  return std::max(
      0, session.capacity - Occupied(session) - HeldUnfilled(session, now));
}

Placement PlaceBooking(SessionInventory& session, AgencyType agency_type,
                       absl::Time now) {
  if (PlacesFor(session, agency_type, now) > 0) {
    ++session.confirmed;
    ++session.occupants_by_type[agency_type];
    return {BookingState::kConfirmed, 0};
  }
  ++session.waiting;
  return {BookingState::kWaitlisted,
          session.any_date_waiting + session.waiting};
}

bool PreferenceAccepts(DeliveryPreference preference, DeliveryMode mode) {
  switch (preference) {
    case DeliveryPreference::kOnlineOnly:
      return mode == DeliveryMode::kOnline;
    case DeliveryPreference::kInPersonOnly:
      return mode == DeliveryMode::kInPerson;
    case DeliveryPreference::kAny:
      return true;
  }
  return false;
}

std::vector<DeliveryPreference> PreferencesAccepting(DeliveryMode mode) {
  std::vector<DeliveryPreference> accepting;
  for (DeliveryPreference preference :
       {DeliveryPreference::kAny, DeliveryPreference::kOnlineOnly,
        DeliveryPreference::kInPersonOnly}) {
    if (PreferenceAccepts(preference, mode)) accepting.push_back(preference);
  }
  return accepting;
}

absl::Time OfferExpiry(const SessionInventory& session, absl::Time now) {
  const OfferPolicy& policy = session.offer_policy;
  const absl::Duration until_close = session.booking_close - now;
  return now +
         std::max(policy.minimum_hold, std::min(policy.hold, until_close));
}

std::optional<absl::Time> NextRelease(const std::vector<HeldPlaces>& holds,
                                      absl::Time after) {
  std::optional<absl::Time> next;
  for (const HeldPlaces& hold : holds) {
    if (hold.release > after && (!next || hold.release < *next)) {
      next = hold.release;
    }
  }
  return next;
}

std::vector<absl::StatusOr<Placement>> DecideBatch(
    SessionInventory& session, absl::Time now,
    const std::vector<BookingAsk>& asks,
    std::set<std::string> active_email_keys) {
  std::vector<absl::StatusOr<Placement>> out;
  out.reserve(asks.size());
  const absl::Status bookable = CheckBookable(session, now);
  for (const BookingAsk& ask : asks) {
    if (!bookable.ok()) {
      out.push_back(bookable);
      continue;
    }
    absl::Status eligible = CheckEligible(session, ask.agency_type);
    if (!eligible.ok()) {
      out.push_back(eligible);
      continue;
    }
    if (!active_email_keys.insert(ask.email_key).second) {
      out.push_back(WithErrorInfo(
          absl::AlreadyExistsError("booking.attendee.email: already holds a "
                                   "booking for this session"),
          "ALREADY_BOOKED"));
      continue;
    }
    out.push_back(PlaceBooking(session, ask.agency_type, now));
  }
  return out;
}

bool TakesPromotions(const SessionInventory& session, absl::Time now) {
  return session.scheduled && now < session.start;
}

bool ReleasePlace(SessionInventory& session, const SeatHolder& holder) {
  switch (holder.state) {
    case BookingState::kConfirmed:
      --session.confirmed;
      --session.occupants_by_type[holder.agency_type];
      return true;
    case BookingState::kOffered:
      --session.offers;
      --session.occupants_by_type[holder.agency_type];
      return true;
    case BookingState::kWaitlisted:
      if (!holder.any_date) --session.waiting;
      return false;
    default:
      return false;  // ended already: holds nothing
  }
}

std::vector<Promotion> ChoosePromotions(SessionInventory& session,
                                        const std::vector<SeatHolder>& queue,
                                        std::set<std::string> active_email_keys,
                                        absl::Time now) {
  std::vector<Promotion> promotions;
  if (!TakesPromotions(session, now)) return promotions;
  for (size_t i = 0; i < queue.size() && FreePlaces(session) > 0; ++i) {
    const SeatHolder& entry = queue[i];
    if (PlacesFor(session, entry.agency_type, now) <= 0) continue;
    if (entry.any_date) {
      // Someone already on this session keeps that booking; the entry
      // waits for another date.
      if (!active_email_keys.insert(entry.email_key).second) continue;
      --session.any_date_waiting;
    } else {
      --session.waiting;
    }
    ++session.occupants_by_type[entry.agency_type];
    Promotion promotion{i, BookingState::kConfirmed, absl::InfinitePast()};
    if (session.offer_policy.offer) {
      promotion.state = BookingState::kOffered;
      promotion.offer_expiry = OfferExpiry(session, now);
      ++session.offers;
    } else {
      ++session.confirmed;
    }
    promotions.push_back(promotion);
  }
  return promotions;
}

std::vector<size_t> OffersToWithdraw(SessionInventory& session,
                                     const std::vector<SeatHolder>& offers) {
  std::vector<size_t> withdrawn;
  for (size_t i = offers.size();
       i-- > 0 && Occupied(session) > session.capacity;) {
    const SeatHolder& offer = offers[i];
    --session.offers;
    --session.occupants_by_type[offer.agency_type];
    if (offer.any_date) {
      ++session.any_date_waiting;
    } else {
      ++session.waiting;
    }
    withdrawn.push_back(i);
  }
  return withdrawn;
}

bool IsLateCancellation(const SessionInventory& session, absl::Time now) {
  return now >= session.start - session.late_cancellation_window;
}

v1::Availability AvailabilityOf(const SessionInventory& session,
                                absl::Time now) {
  v1::Availability a;
  a.set_session(session.session);
  a.set_capacity(session.capacity);
  a.set_confirmed(session.confirmed);
  a.set_offers_out(session.offers);
  a.set_held_places(HeldUnfilled(session, now));
  a.set_remaining(Remaining(session, now));
  a.set_waiting(session.waiting);
  a.set_bookable(CheckBookable(session, now).ok());
  *a.mutable_compute_time() = ToProto(now);
  return a;
}

}  // namespace training::booking

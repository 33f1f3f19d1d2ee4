#ifndef TRAINING_COMMON_TEXT_BOOKING_NAMES_H_
#define TRAINING_COMMON_TEXT_BOOKING_NAMES_H_

// Booking references, as the booking service issues them and every other
// part of the suite (content, the public pages) reads them: 8 characters
// from an alphabet without look-alikes (no 0/O, 1/I), shown as `K7QX-M4RA`.

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace training::text {

inline constexpr char kBookingReferenceAlphabet[] =
    "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
inline constexpr size_t kBookingReferenceLength = 8;

// The canonical reference of `bookings/{reference}`, accepting any case and
// a hyphen after the fourth character (`k7qx-m4ra`); nullopt when malformed.
inline std::optional<std::string> BookingReferenceOf(absl::string_view name) {
  constexpr absl::string_view kPrefix = "bookings/";
  if (name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string reference = absl::AsciiStrToUpper(name.substr(kPrefix.size()));
  if (reference.size() == kBookingReferenceLength + 1 && reference[4] == '-') {
    reference.erase(4, 1);
  }
  if (reference.size() != kBookingReferenceLength) return std::nullopt;
  const absl::string_view alphabet(kBookingReferenceAlphabet);
  for (char c : reference) {
    if (alphabet.find(c) == absl::string_view::npos) return std::nullopt;
  }
  return reference;
}

}  // namespace training::text

#endif  // TRAINING_COMMON_TEXT_BOOKING_NAMES_H_

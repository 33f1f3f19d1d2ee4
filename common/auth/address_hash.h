#ifndef TRAINING_COMMON_AUTH_ADDRESS_HASH_H_
#define TRAINING_COMMON_AUTH_ADDRESS_HASH_H_

// The keyed hash by which a PersonalDataErased event names the erased
// e-mail address, so that every service can find what it holds for the
// person (the notification service keys its delivery log by address)
// while the event, its stream and its dead letters never carry the address
// in clear. HMAC-SHA256 under the suite's shared address-hash key
// (`--address_hash_secrets`, one list every service is given) of the
// address in ASCII lower case.

#include <string>

#include "absl/strings/string_view.h"
#include "common/auth/hmac_keys.h"

namespace training::auth {

struct AddressHash {
  std::string kid;   // which key
  std::string hash;  // URL-safe base64, 43 characters
};

// The hash of `email` under key `kid` (the current key when `kid` is empty
// or unknown).
AddressHash HashAddress(const HmacKeys& keys, absl::string_view email,
                        absl::string_view kid = "");

}  // namespace training::auth

#endif  // TRAINING_COMMON_AUTH_ADDRESS_HASH_H_

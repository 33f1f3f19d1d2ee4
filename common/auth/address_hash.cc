#include "common/auth/address_hash.h"

#include "absl/strings/ascii.h"

namespace training::auth {
namespace {

constexpr char kContext[] = "training.v1/erased-address:";

}  // namespace

AddressHash HashAddress(const HmacKeys& keys, absl::string_view email,
                        absl::string_view kid) {
  const size_t index = keys.IndexOf(kid);
  return {keys.kid(index),
          keys.Mac(index, kContext, absl::AsciiStrToLower(email))};
}

}  // namespace training::auth

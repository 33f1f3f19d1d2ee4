#ifndef TRAINING_COMMON_RANDOM_SECURE_BYTES_H_
#define TRAINING_COMMON_RANDOM_SECURE_BYTES_H_

// Random bytes for what must not be guessed — secrets, API keys, booking
// references, session ids — from OpenSSL's DRBG. When the generator fails
// (no entropy, a broken provider) the caller gets an error to pass on,
// never bytes that merely look random.

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace training::random {

// `count` bytes, or INTERNAL when the generator fails.
absl::StatusOr<std::string> SecureBytes(size_t count);

// While one is alive, SecureBytes fails as a failing generator would: the
// seam the tests use to prove nothing weak is handed out instead.
class ScopedSecureBytesFailureForTest {
 public:
  ScopedSecureBytesFailureForTest();
  ~ScopedSecureBytesFailureForTest();
  ScopedSecureBytesFailureForTest(const ScopedSecureBytesFailureForTest&) =
      delete;
  ScopedSecureBytesFailureForTest& operator=(
      const ScopedSecureBytesFailureForTest&) = delete;
};

}  // namespace training::random

#endif  // TRAINING_COMMON_RANDOM_SECURE_BYTES_H_

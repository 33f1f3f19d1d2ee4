#include "common/random/secure_bytes.h"

#include <openssl/rand.h>

#include <atomic>
#include <climits>

#include "absl/status/status.h"

namespace training::random {
namespace {

std::atomic<int> failures_for_test{0};

}  // namespace

absl::StatusOr<std::string> SecureBytes(size_t count) {
  std::string bytes(count, '\0');
  if (count > INT_MAX ||
      failures_for_test.load(std::memory_order_relaxed) > 0 ||
      RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()),
                 static_cast<int>(count)) != 1) {
    return absl::InternalError(
        "random: the system's random generator failed; nothing was made");
  }
  return bytes;
}

ScopedSecureBytesFailureForTest::ScopedSecureBytesFailureForTest() {
  failures_for_test.fetch_add(1);
}

ScopedSecureBytesFailureForTest::~ScopedSecureBytesFailureForTest() {
  failures_for_test.fetch_sub(1);
}

}  // namespace training::random

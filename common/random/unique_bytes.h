#ifndef TRAINING_COMMON_RANDOM_UNIQUE_BYTES_H_
#define TRAINING_COMMON_RANDOM_UNIQUE_BYTES_H_

// Random bytes for ids that must be unique but need not be secret (trace,
// span, request and event ids): a per-thread Abseil generator seeded from
// the OS. OpenSSL's DRBG, which secrets and references still use, takes a
// lock per call (3 % of the booking service's CPU in a flash crowd).
// Callers link absl::random_random.

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/random/random.h"

namespace training::random {

inline std::string UniqueBytes(size_t count) {
  thread_local absl::BitGen bits;
  std::string bytes(count, '\0');
  for (size_t i = 0; i < count; i += sizeof(uint64_t)) {
    const uint64_t word = absl::Uniform<uint64_t>(bits);
    std::memcpy(bytes.data() + i, &word,
                count - i < sizeof word ? count - i : sizeof word);
  }
  return bytes;
}

}  // namespace training::random

#endif  // TRAINING_COMMON_RANDOM_UNIQUE_BYTES_H_

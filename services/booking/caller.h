#ifndef TRAINING_SERVICES_BOOKING_CALLER_H_
#define TRAINING_SERVICES_BOOKING_CALLER_H_

#include <string>

#include "absl/time/time.h"

namespace training::booking {

// Who is calling, as far as booking cares, what to stamp on events, and
// how long the caller will wait (outgoing calls never outlive it).
struct Caller {
  enum class Kind { kPublic, kAgency, kAdmin, kService, kTokenHolder };
  Kind kind = Kind::kPublic;
  std::string organisation;  // agency keys
  std::string manage_token;  // kTokenHolder
  std::string request_id;
  std::string traceparent;
  std::string tracestate;
  absl::Time deadline = absl::InfiniteFuture();
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_CALLER_H_

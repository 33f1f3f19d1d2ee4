#ifndef TRAINING_GATEWAY_EDGE_RATE_LIMIT_POLICY_H_
#define TRAINING_GATEWAY_EDGE_RATE_LIMIT_POLICY_H_

// Which buckets a request counts against:
//
// - without credentials: its client address's (`per_address`), and for a
//   change (anything but GET, HEAD, OPTIONS) also the address's
//   anonymous-write bucket (`anonymous_writes`: public bookings and
//   enquiries, the flows a script would abuse), and for an enquiry
//   (`POST /v1/enquiries`, or the pages' `POST /contact`) its enquiry bucket
//   (`enquiries`: a few an hour, so that the form cannot be used to mail
//   strangers; the notification service caps each e-mail address too);
// - with credentials: the credential's (`per_key`), and the address's
//   credentialed bucket at the same limit, so that a client cannot escape
//   its address's limit by inventing a new key for each request.
//
// Buckets are keyed by a hash: neither a key nor an address is stored.
// The most constrained bucket's figures go back as RateLimit-Limit,
// -Remaining and -Reset; a refusal is 429 with Retry-After.

#include <string>

#include "gateway/edge/client_address.h"
#include "gateway/edge/rate_limit.h"
#include "gateway/http/http_server.h"

namespace training::gateway::edge {

struct RateLimitOptions {
  RateLimit per_key{50, 100};
  RateLimit per_address{20, 40};
  RateLimit anonymous_writes{10.0 / 60, 5};
  RateLimit enquiries{5.0 / 3600, 5};
};

class RateLimitPolicy {
 public:
  // `limiter` and `proxies` outlive this.
  RateLimitPolicy(RateLimitOptions options, RateLimiter* limiter,
                  const TrustedProxies* proxies)
      : options_(options), limiter_(limiter), proxies_(proxies) {}

  struct Outcome {
    bool allowed = true;
    // Which limit refused: "key", "address", "anonymous_write" or
    // "enquiry".
    std::string refused_by;
    absl::Duration retry_after;
    http::Headers headers;  // RateLimit-*, for the answer either way
  };
  Outcome Check(const http::HttpRequest& request);

  // The 429 answer of a refused outcome.
  static http::HttpResponse TooManyRequests(const Outcome& outcome);

 private:
  const RateLimitOptions options_;
  RateLimiter* limiter_;
  const TrustedProxies* proxies_;
};

}  // namespace training::gateway::edge

#endif  // TRAINING_GATEWAY_EDGE_RATE_LIMIT_POLICY_H_

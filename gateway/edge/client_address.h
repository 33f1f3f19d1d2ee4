#ifndef TRAINING_GATEWAY_EDGE_CLIENT_ADDRESS_H_
#define TRAINING_GATEWAY_EDGE_CLIENT_ADDRESS_H_

// Whose address a request is, for per-address rate limits. The connection's
// peer, unless the peer is a configured trusted proxy (a load balancer, an
// ingress): then X-Forwarded-For is read from the right, skipping trusted
// proxies, and the first address that is not one is the client. Anything a
// client writes to the left of that is ignored, so a client cannot choose
// its own address by sending the header.

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace training::gateway::edge {

class TrustedProxies {
 public:
  // Comma-separated addresses and CIDR blocks, IPv4 or IPv6
  // ("10.0.0.0/8, 192.0.2.7, fd00::/8"); "" trusts none. INVALID_ARGUMENT
  // naming the entry that is neither.
  static absl::StatusOr<TrustedProxies> Parse(absl::string_view list);

  bool Trusts(absl::string_view address) const;

  // The client's address: `peer` when it is not trusted, else the
  // right-most untrusted address of `forwarded_for` (the peer itself when
  // the header holds none, or only unparseable text).
  std::string ClientAddress(absl::string_view peer,
                            absl::string_view forwarded_for) const;

 private:
  struct Block {
    std::array<unsigned char, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    int prefix_bits = 0;                    // of the 128
  };
  std::vector<Block> blocks_;
};

// The address a rate-limit bucket is named by: an IPv4 address as it is,
// an IPv6 one by its /64 (one client holds a whole /64 at least: keyed by
// the full address, it would get a fresh bucket per request); anything
// else as it is.
std::string BucketAddress(absl::string_view address);

}  // namespace training::gateway::edge

#endif  // TRAINING_GATEWAY_EDGE_CLIENT_ADDRESS_H_

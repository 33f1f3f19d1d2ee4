#ifndef TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_TARGET_POLICY_H_
#define TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_TARGET_POLICY_H_

// Where webhooks may go. A subscriber chooses the URL, so the service must
// not become a way into the networks it sits in (server-side request
// forgery): a target must be https (http only for hosts configured for
// local testing), and every address its host resolves to at delivery time
// is checked — loopback, private, link-local (with the cloud metadata
// address), shared (carrier-grade NAT), multicast, unspecified, reserved,
// and IPv6's unique-local, mapped, NAT64 and 6to4 forms of them are
// refused unless an allow-listed range holds the address. The request then
// goes to the checked address only (no second look-up that could answer
// differently), and redirects are never followed.

#include <netinet/in.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace training::notification::webhooks {

// A target URL taken apart.
struct TargetUrl {
  std::string scheme;  // "https" or "http"
  std::string host;    // without brackets for IPv6
  int port = 0;
  std::string url;  // normalised
};

// One address range, `10.0.0.0/8` or `fd00::/8`.
struct AddressRange {
  int family = 0;  // AF_INET or AF_INET6
  unsigned char bytes[16] = {};
  int prefix = 0;
};

// Parses `10.0.0.0/8`, `::1/128` or a single address; INVALID_ARGUMENT
// otherwise.
absl::StatusOr<AddressRange> ParseAddressRange(absl::string_view text);

struct TargetPolicy {
  // Hosts (names or literals) that may be given http:// targets.
  std::vector<std::string> http_hosts;
  // Addresses that are allowed even though they are not public.
  std::vector<AddressRange> allowed_ranges;
};

// Checks a subscriber's URL: absolute, https (or http for `http_hosts`),
// a host, no user information, no fragment, at most 2,000 characters.
// INVALID_ARGUMENT saying which rule.
absl::StatusOr<TargetUrl> ParseTargetUrl(absl::string_view url,
                                         const TargetPolicy& policy);

// Why an address may not be sent to ("loopback", "private",
// "link-local", "metadata", …); nullopt when it may (public, or allowed).
// `address` is 4 or 16 bytes in network order.
std::optional<std::string> RefusalOf(absl::string_view address,
                                     const TargetPolicy& policy);

// Text form of a 4- or 16-byte address.
std::string AddressText(absl::string_view address);

}  // namespace training::notification::webhooks

#endif  // TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_TARGET_POLICY_H_

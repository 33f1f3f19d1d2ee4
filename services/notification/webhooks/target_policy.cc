#include "services/notification/webhooks/target_policy.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace training::notification::webhooks {
namespace {

using Url = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

// A URL part, or "" when absent.
std::string Part(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, 0) != CURLUE_OK || value == nullptr) {
    return "";
  }
  std::string out(value);
  curl_free(value);
  return out;
}

bool InRange(const unsigned char* address, int family,
             const AddressRange& range) {
  if (family != range.family) return false;
  const int whole = range.prefix / 8, bits = range.prefix % 8;
  if (std::memcmp(address, range.bytes, whole) != 0) return false;
  if (bits == 0) return true;
  const unsigned char mask = static_cast<unsigned char>(0xff << (8 - bits));
  return (address[whole] & mask) == (range.bytes[whole] & mask);
}

struct Named {
  AddressRange range;
  const char* why;
};

const std::vector<Named>& NonPublic() {
  static const std::vector<Named>* ranges = [] {
    auto* out = new std::vector<Named>;
    const std::pair<const char*, const char*> table[] = {
        // Most specific first, so that the reason is the precise one.
        {"169.254.169.254/32", "metadata"},
        {"169.254.170.2/32", "metadata"},    // container credentials
        {"100.100.100.200/32", "metadata"},  // another cloud's
        {"fd00:ec2::254/128", "metadata"},
        {"0.0.0.0/8", "unspecified"},
        {"10.0.0.0/8", "private"},
        {"100.64.0.0/10", "shared"},
        {"127.0.0.0/8", "loopback"},
        {"169.254.0.0/16", "link-local"},
        {"172.16.0.0/12", "private"},
        {"192.0.0.0/24", "reserved"},
        {"192.168.0.0/16", "private"},
        {"198.18.0.0/15", "reserved"},
        {"224.0.0.0/4", "multicast"},
        {"240.0.0.0/4", "reserved"},
        {"::/128", "unspecified"},
        {"::1/128", "loopback"},
        {"::/96", "reserved"},
        {"::ffff:0:0:0/96", "reserved"},
        {"64:ff9b:1::/48", "private"},
        {"fc00::/7", "private"},
        {"fe80::/10", "link-local"},
        {"ff00::/8", "multicast"},
        {"100::/64", "reserved"},
        {"2001::/23", "reserved"},
    };
    for (const auto& [text, why] : table) {
      out->push_back({*ParseAddressRange(text), why});
    }
    return out;
  }();
  return *ranges;
}

// The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4),
// when it carries one.
std::optional<std::string> EmbeddedV4(const unsigned char* a) {
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0,    0,
                                            0, 0, 0, 0, 0xff, 0xff};
  static const unsigned char kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0,
                                           0, 0,    0,    0,    0, 0};
  if (std::memcmp(a, kMapped, 12) == 0 || std::memcmp(a, kNat64, 12) == 0) {
    return std::string(reinterpret_cast<const char*>(a + 12), 4);
  }
  if (a[0] == 0x20 && a[1] == 0x02) {  // 2002::/16, 6to4
    return std::string(reinterpret_cast<const char*>(a + 2), 4);
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<AddressRange> ParseAddressRange(absl::string_view text) {
  AddressRange range;
  const size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  if (inet_pton(AF_INET, address.c_str(), range.bytes) == 1) {
    range.family = AF_INET;
    range.prefix = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), range.bytes) == 1) {
    range.family = AF_INET6;
    range.prefix = 128;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("not an address or range: ", text));
  }
  if (slash != absl::string_view::npos) {
    int prefix = -1;
    if (!absl::SimpleAtoi(text.substr(slash + 1), &prefix) || prefix < 0 ||
        prefix > range.prefix) {
      return absl::InvalidArgumentError(
          absl::StrCat("not a prefix length: ", text));
    }
    range.prefix = prefix;
  }
  return range;
}

absl::StatusOr<TargetUrl> ParseTargetUrl(absl::string_view text,
                                         const TargetPolicy& policy) {
  if (text.size() > 2000) {
    return absl::InvalidArgumentError("must be at most 2,000 characters");
  }
  Url url(curl_url(), &curl_url_cleanup);
  const std::string given(text);
  // curl reads `https:///in` as host "in"; a subscriber who wrote that
  // meant something else.
  const size_t authority = given.find("://");
  if (authority == std::string::npos || authority + 3 >= given.size() ||
      given[authority + 3] == '/') {
    return absl::InvalidArgumentError("must be an absolute URL with a host");
  }
  if (url == nullptr ||
      curl_url_set(url.get(), CURLUPART_URL, given.c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError("must be an absolute URL");
  }
  TargetUrl out;
  out.scheme = absl::AsciiStrToLower(Part(url.get(), CURLUPART_SCHEME));
  out.host = absl::AsciiStrToLower(Part(url.get(), CURLUPART_HOST));
  if (!out.host.empty() && out.host.front() == '[') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.host.empty()) return absl::InvalidArgumentError("must name a host");
  for (char c : out.host) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      // Its punycode form is what would be resolved and connected to.
      return absl::InvalidArgumentError(
          "must name its host in ASCII (punycode for an international "
          "name)");
    }
  }
  if (!Part(url.get(), CURLUPART_USER).empty() ||
      !Part(url.get(), CURLUPART_PASSWORD).empty()) {
    return absl::InvalidArgumentError("must not hold a user or password");
  }
  if (!Part(url.get(), CURLUPART_FRAGMENT).empty() ||
      given.find('#') != std::string::npos) {
    return absl::InvalidArgumentError("must not have a fragment");
  }
  const bool http_allowed =
      std::find(policy.http_hosts.begin(), policy.http_hosts.end(), out.host) !=
      policy.http_hosts.end();
  if (out.scheme != "https" && !(out.scheme == "http" && http_allowed)) {
    return absl::InvalidArgumentError(
        "must be an https URL (http only for hosts --webhook_allow_http "
        "lists)");
  }
  char* port = nullptr;
  if (curl_url_get(url.get(), CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
          CURLUE_OK &&
      port != nullptr) {
    (void)absl::SimpleAtoi(port, &out.port);
    curl_free(port);
  }
  if (out.port < 1 || out.port > 65535) {
    return absl::InvalidArgumentError("must have a port from 1 to 65535");
  }
  out.url = Part(url.get(), CURLUPART_URL);
  return out;
}

std::optional<std::string> RefusalOf(absl::string_view address,
                                     const TargetPolicy& policy) {
  const int family = address.size() == 4 ? AF_INET : AF_INET6;
  const auto* bytes = reinterpret_cast<const unsigned char*>(address.data());
  // The metadata services are refused whatever the allow-list says, also
  // when written inside IPv6 (a dual-stack socket reaches them so).
  std::optional<std::string> embedded =
      family == AF_INET6 ? EmbeddedV4(bytes) : std::nullopt;
  for (const Named& named : NonPublic()) {
    if (absl::string_view(named.why) != "metadata") continue;
    if (InRange(bytes, family, named.range) ||
        (embedded &&
         InRange(reinterpret_cast<const unsigned char*>(embedded->data()),
                 AF_INET, named.range))) {
      return std::string("metadata");
    }
  }
  for (const AddressRange& allowed : policy.allowed_ranges) {
    if (InRange(bytes, family, allowed)) return std::nullopt;
  }
  if (family == AF_INET6) {
    if (std::optional<std::string> v4 = EmbeddedV4(bytes)) {
      if (std::optional<std::string> why = RefusalOf(*v4, policy)) {
        return absl::StrCat(*why, " (in IPv6)");
      }
      // A public IPv4 address written as IPv6 goes as IPv6: refused, since
      // a mapped address is never a real destination.
      return std::string("reserved");
    }
  }
  for (const Named& named : NonPublic()) {
    if (InRange(bytes, family, named.range)) return std::string(named.why);
  }
  return std::nullopt;
}

std::string AddressText(absl::string_view address) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(address.size() == 4 ? AF_INET : AF_INET6, address.data(), text,
            sizeof(text));
  return text;
}

}  // namespace training::notification::webhooks

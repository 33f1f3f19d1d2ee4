#include "gateway/edge/client_address.h"

#include <arpa/inet.h>

#include <cstring>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace training::gateway::edge {
namespace {

// An address as 16 bytes (IPv4 mapped into IPv6) and whether it was IPv4.
struct Parsed {
  std::array<unsigned char, 16> bytes{};
  bool v4 = false;
};

std::optional<Parsed> ParseAddress(absl::string_view text) {
  std::string s(absl::StripAsciiWhitespace(text));
  Parsed out;
  in_addr v4;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out.bytes[10] = out.bytes[11] = 0xff;
    memcpy(&out.bytes[12], &v4, 4);
    out.v4 = true;
    return out;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    memcpy(out.bytes.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

bool InBlock(const std::array<unsigned char, 16>& address,
             const std::array<unsigned char, 16>& block, int prefix_bits) {
  for (int bit = 0; bit < prefix_bits; ++bit) {
    const int byte = bit / 8;
    const unsigned char mask = 0x80 >> (bit % 8);
    if ((address[byte] & mask) != (block[byte] & mask)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(absl::string_view list) {
  TrustedProxies proxies;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) continue;
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(entry, absl::MaxSplits('/', 1));
    std::optional<Parsed> address = ParseAddress(parts.first);
    int bits = 0;
    const bool has_prefix = entry.find('/') != absl::string_view::npos;
    if (!address.has_value() ||
        (has_prefix && !absl::SimpleAtoi(parts.second, &bits))) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", entry, "\" is not an address or CIDR block"));
    }
    const int width = address->v4 ? 32 : 128;
    if (!has_prefix) bits = width;
    if (bits < 0 || bits > width) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", entry, "\": prefix beyond ", width, " bits"));
    }
    proxies.blocks_.push_back({address->bytes, bits + (128 - width)});
  }
  return proxies;
}

bool TrustedProxies::Trusts(absl::string_view address) const {
  std::optional<Parsed> parsed = ParseAddress(address);
  if (!parsed.has_value()) return false;
  for (const Block& block : blocks_) {
    if (InBlock(parsed->bytes, block.bytes, block.prefix_bits)) return true;
  }
  return false;
}

std::string BucketAddress(absl::string_view address) {
  std::optional<Parsed> parsed = ParseAddress(address);
  if (!parsed.has_value() || parsed->v4) return std::string(address);
  in6_addr prefix{};
  memcpy(&prefix, parsed->bytes.data(), 8);
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &prefix, text, sizeof text);
  return absl::StrCat(text, "/64");
}

std::string TrustedProxies::ClientAddress(
    absl::string_view peer, absl::string_view forwarded_for) const {
  if (!Trusts(peer)) return std::string(peer);
  std::vector<absl::string_view> hops = absl::StrSplit(forwarded_for, ',');
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    absl::string_view address = absl::StripAsciiWhitespace(*hop);
    if (!ParseAddress(address).has_value()) break;  // forged or garbled
    if (!Trusts(address)) return std::string(address);
  }
  return std::string(peer);
}

}  // namespace training::gateway::edge

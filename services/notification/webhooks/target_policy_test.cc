#include "services/notification/webhooks/target_policy.h"

#include <arpa/inet.h>

#include "gtest/gtest.h"

namespace training::notification::webhooks {
namespace {

std::string Bytes(const std::string& text) {
  unsigned char buffer[16];
  if (inet_pton(AF_INET, text.c_str(), buffer) == 1) {
    return std::string(reinterpret_cast<char*>(buffer), 4);
  }
  EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), buffer), 1) << text;
  return std::string(reinterpret_cast<char*>(buffer), 16);
}

std::string Why(const std::string& address, const TargetPolicy& policy = {}) {
  return RefusalOf(Bytes(address), policy).value_or("public");
}

TEST(TargetPolicyTest, NonPublicAddressesAreRefusedWithTheirReason) {
  EXPECT_EQ(Why("127.0.0.1"), "loopback");
  EXPECT_EQ(Why("::1"), "loopback");
  EXPECT_EQ(Why("169.254.169.254"), "metadata");
  EXPECT_EQ(Why("fd00:ec2::254"), "metadata");
  EXPECT_EQ(Why("169.254.1.1"), "link-local");
  EXPECT_EQ(Why("fe80::1"), "link-local");
  EXPECT_EQ(Why("10.0.0.1"), "private");
  EXPECT_EQ(Why("172.16.5.4"), "private");
  EXPECT_EQ(Why("192.168.1.1"), "private");
  EXPECT_EQ(Why("fd12:3456::1"), "private");
  EXPECT_EQ(Why("100.64.0.1"), "shared");
  EXPECT_EQ(Why("0.0.0.0"), "unspecified");
  EXPECT_EQ(Why("::"), "unspecified");
  EXPECT_EQ(Why("224.0.0.1"), "multicast");
  EXPECT_EQ(Why("255.255.255.255"), "reserved");
  // IPv4 inside IPv6: mapped, NAT64 and 6to4 forms are looked through.
  EXPECT_EQ(Why("::ffff:127.0.0.1"), "loopback (in IPv6)");
  EXPECT_EQ(Why("::ffff:169.254.169.254"), "metadata");
  EXPECT_EQ(Why("64:ff9b::a00:1"), "private (in IPv6)");
  EXPECT_EQ(Why("2002:c0a8:101::1"), "private (in IPv6)");
  EXPECT_EQ(Why("::ffff:93.184.216.34"), "reserved");
  EXPECT_EQ(Why("64:ff9b:1::a00:1"), "private");
  EXPECT_EQ(Why("::ffff:0:a00:1"), "reserved");
}

TEST(TargetPolicyTest, PublicAddressesPass) {
  EXPECT_EQ(Why("93.184.216.34"), "public");
  EXPECT_EQ(Why("172.32.0.1"), "public");  // just outside 172.16.0.0/12
  EXPECT_EQ(Why("2606:4700::1111"), "public");
}

TEST(TargetPolicyTest, AllowListedRangesPass) {
  TargetPolicy policy;
  policy.allowed_ranges.push_back(*ParseAddressRange("127.0.0.2/32"));
  policy.allowed_ranges.push_back(*ParseAddressRange("fd00::/8"));
  EXPECT_EQ(Why("127.0.0.2", policy), "public");
  EXPECT_EQ(Why("127.0.0.1", policy), "loopback");
  EXPECT_EQ(Why("fd12::1", policy), "public");
  // The metadata address is never allowed, even inside an allowed range.
  EXPECT_EQ(Why("fd00:ec2::254", policy), "metadata");
  policy.allowed_ranges.push_back(*ParseAddressRange("169.254.0.0/16"));
  EXPECT_EQ(Why("169.254.169.254", policy), "metadata");
  EXPECT_EQ(Why("169.254.1.1", policy), "public");
  EXPECT_EQ(Why("169.254.170.2", policy), "metadata");
  // Nor inside IPv6, whatever IPv6 range is allowed.
  policy.allowed_ranges.push_back(*ParseAddressRange("::/0"));
  EXPECT_EQ(Why("::ffff:169.254.169.254", policy), "metadata");
  EXPECT_EQ(Why("64:ff9b::a9fe:a9fe", policy), "metadata");
  EXPECT_EQ(Why("2002:a9fe:a9fe::1", policy), "metadata");
  EXPECT_FALSE(ParseAddressRange("10.0.0.0/33").ok());
  EXPECT_FALSE(ParseAddressRange("example.org/8").ok());
}

TEST(TargetPolicyTest, UrlsMustBeHttpsWithAHostAndNothingHidden) {
  TargetPolicy policy;
  policy.http_hosts = {"127.0.0.2"};
  absl::StatusOr<TargetUrl> ok =
      ParseTargetUrl("https://hooks.Example.org/in?x=1", policy);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->host, "hooks.example.org");
  EXPECT_EQ(ok->port, 443);
  ASSERT_TRUE(ParseTargetUrl("http://127.0.0.2:8080/x", policy).ok());
  EXPECT_EQ(ParseTargetUrl("http://127.0.0.2:8080/x", policy)->port, 8080);
  ASSERT_TRUE(ParseTargetUrl("https://[2606:4700::1111]/x", policy).ok());
  EXPECT_EQ(ParseTargetUrl("https://[2606:4700::1111]/x", policy)->host,
            "2606:4700::1111");
  for (const char* bad :
       {"http://hooks.example.org/", "ftp://hooks.example.org/",
        "https://user:pw@hooks.example.org/", "https://hooks.example.org/#x",
        "hooks.example.org/in", "https:///in", "file:///etc/passwd",
        "gopher://127.0.0.2/",
        "https://b\xc3\xbc"
        "cher.example/in"}) {
    EXPECT_FALSE(ParseTargetUrl(bad, policy).ok()) << bad;
  }
  EXPECT_FALSE(
      ParseTargetUrl("https://a.example/" + std::string(2000, 'x'), policy)
          .ok());
}

}  // namespace
}  // namespace training::notification::webhooks

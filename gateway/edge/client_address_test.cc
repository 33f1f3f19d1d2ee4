#include "gateway/edge/client_address.h"

#include "gtest/gtest.h"

namespace training::gateway::edge {
namespace {

TEST(TrustedProxiesTest, ParsesAddressesAndBlocks) {
  auto proxies = TrustedProxies::Parse("10.0.0.0/8, 192.0.2.7 ,fd00::/8");
  ASSERT_TRUE(proxies.ok()) << proxies.status();
  EXPECT_TRUE(proxies->Trusts("10.1.2.3"));
  EXPECT_TRUE(proxies->Trusts("192.0.2.7"));
  EXPECT_FALSE(proxies->Trusts("192.0.2.8"));
  EXPECT_TRUE(proxies->Trusts("fd12::1"));
  EXPECT_FALSE(proxies->Trusts("2001:db8::1"));
  EXPECT_FALSE(proxies->Trusts("not an address"));
  for (const char* bad :
       {"10.0.0.0/33", "nonsense", "10.0.0.0/x", "::/129", "1.2.3.4/-1"}) {
    EXPECT_FALSE(TrustedProxies::Parse(bad).ok()) << bad;
  }
  EXPECT_FALSE(TrustedProxies::Parse("")->Trusts("127.0.0.1"));
}

TEST(TrustedProxiesTest, ForwardedForIsBelievedFromTrustedProxiesOnly) {
  auto proxies = TrustedProxies::Parse("10.0.0.0/8");
  ASSERT_TRUE(proxies.ok());
  // An untrusted peer's header is ignored.
  EXPECT_EQ(proxies->ClientAddress("203.0.113.9", "198.51.100.1"),
            "203.0.113.9");
  // Through a trusted proxy: the right-most address it did not add.
  EXPECT_EQ(proxies->ClientAddress("10.0.0.2", "198.51.100.1"), "198.51.100.1");
  // A client's own forged entries sit to the left and are never read.
  EXPECT_EQ(
      proxies->ClientAddress("10.0.0.2", "1.1.1.1, 198.51.100.1, 10.0.0.5"),
      "198.51.100.1");
  // No header, or garbage where the client should be: the proxy itself.
  EXPECT_EQ(proxies->ClientAddress("10.0.0.2", ""), "10.0.0.2");
  EXPECT_EQ(proxies->ClientAddress("10.0.0.2", "1.1.1.1, <script>"),
            "10.0.0.2");
}

}  // namespace
}  // namespace training::gateway::edge

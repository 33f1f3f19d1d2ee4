#include "gateway/edge/rate_limit_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::gateway::edge {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

http::HttpRequest Request(const std::string& method, const std::string& peer,
                          http::Headers headers = {}) {
  http::HttpRequest request;
  request.method = method;
  request.target = "/v1/bookings";
  request.peer_address = peer;
  request.headers = std::move(headers);
  return request;
}

class RateLimitPolicyTest : public ::testing::Test {
 protected:
  RateLimitPolicyTest()
      : clock_(absl::FromUnixSeconds(1'800'000'000)),
        limiter_(&clock_),
        proxies_(*TrustedProxies::Parse("10.0.0.0/8")) {}

  RateLimitPolicy Policy(RateLimitOptions options) {
    return RateLimitPolicy(options, &limiter_, &proxies_);
  }

  FakeClock clock_;
  LocalRateLimiter limiter_;
  TrustedProxies proxies_;
};

TEST_F(RateLimitPolicyTest, AnonymousReadsCountPerAddress) {
  RateLimitPolicy policy = Policy({.per_key = {100, 100},
                                   .per_address = {1, 2},
                                   .anonymous_writes = {1, 100}});
  auto first = policy.Check(Request("GET", "203.0.113.1"));
  EXPECT_TRUE(first.allowed);
  EXPECT_THAT(first.headers, Contains(Pair("RateLimit-Limit", "2")));
  EXPECT_THAT(first.headers, Contains(Pair("RateLimit-Remaining", "1")));
  EXPECT_THAT(first.headers, Contains(Pair("RateLimit-Reset", "1")));
  EXPECT_TRUE(policy.Check(Request("GET", "203.0.113.1")).allowed);
  auto refused = policy.Check(Request("GET", "203.0.113.1"));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.refused_by, "address");
  EXPECT_THAT(refused.headers, Contains(Pair("RateLimit-Remaining", "0")));
  // Another address has its own bucket.
  EXPECT_TRUE(policy.Check(Request("GET", "203.0.113.2")).allowed);
}

TEST_F(RateLimitPolicyTest, AnonymousWritesHaveATighterLimit) {
  RateLimitPolicy policy = Policy({.per_key = {100, 100},
                                   .per_address = {100, 100},
                                   .anonymous_writes = {1.0 / 60, 2}});
  EXPECT_TRUE(policy.Check(Request("POST", "203.0.113.1")).allowed);
  EXPECT_TRUE(policy.Check(Request("POST", "203.0.113.1")).allowed);
  auto refused = policy.Check(Request("POST", "203.0.113.1"));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.refused_by, "anonymous_write");
  EXPECT_EQ(refused.retry_after, absl::Seconds(60));
  // Reads from the same address still go.
  EXPECT_TRUE(policy.Check(Request("GET", "203.0.113.1")).allowed);
  // A key's writes are not anonymous.
  EXPECT_TRUE(policy
                  .Check(Request("POST", "203.0.113.1",
                                 {{"authorization", "Bearer trk_x"}}))
                  .allowed);
  EXPECT_TRUE(policy.Check(Request("POST", "203.0.113.2")).allowed);
}

TEST_F(RateLimitPolicyTest, EnquiriesHaveAnHourlyLimitOfTheirOwn) {
  RateLimitPolicy policy = Policy({.per_key = {100, 100},
                                   .per_address = {100, 100},
                                   .anonymous_writes = {100, 100},
                                   .enquiries = {2.0 / 3600, 2}});
  http::HttpRequest enquiry = Request("POST", "203.0.113.1");
  enquiry.target = "/v1/enquiries?alt=json";
  EXPECT_TRUE(policy.Check(enquiry).allowed);
  EXPECT_TRUE(policy.Check(enquiry).allowed);
  auto refused = policy.Check(enquiry);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.refused_by, "enquiry");
  EXPECT_EQ(refused.retry_after, absl::Minutes(30));
  // Bookings from the same address are not held back by it.
  EXPECT_TRUE(policy.Check(Request("POST", "203.0.113.1")).allowed);
  // Another client may still ask.
  enquiry.peer_address = "203.0.113.2";
  EXPECT_TRUE(policy.Check(enquiry).allowed);
  // The pages' "get in touch" form shares the API's bucket; its page (a
  // GET) does not count.
  http::HttpRequest form = Request("POST", "203.0.113.2");
  form.target = "/contact";
  EXPECT_TRUE(policy.Check(form).allowed);
  auto form_refused = policy.Check(form);
  EXPECT_FALSE(form_refused.allowed);
  EXPECT_EQ(form_refused.refused_by, "enquiry");
  http::HttpRequest page = Request("GET", "203.0.113.2");
  page.target = "/contact";
  EXPECT_TRUE(policy.Check(page).allowed);
}

TEST_F(RateLimitPolicyTest, KeysCountPerKeyAndInventedKeysDoNotEscape) {
  RateLimitPolicy policy = Policy({.per_key = {1, 3},
                                   .per_address = {100, 100},
                                   .anonymous_writes = {100, 100}});
  const http::Headers key = {{"authorization", "Bearer trk_one"}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(policy.Check(Request("GET", "203.0.113.1", key)).allowed);
  }
  auto refused = policy.Check(Request("GET", "203.0.113.9", key));
  EXPECT_FALSE(refused.allowed);  // the key's bucket, from any address
  EXPECT_EQ(refused.refused_by, "key");
  // The same key however it is spelt is one bucket.
  EXPECT_FALSE(policy
                   .Check(Request("GET", "203.0.113.1",
                                  {{"authorization", "bearer   trk_one "}}))
                   .allowed);
  // A new made-up key per request from one address: the address's
  // credentialed bucket stops it at the key limit.
  int allowed = 0;
  for (int i = 0; i < 10; ++i) {
    allowed +=
        policy
            .Check(Request(
                "GET", "198.51.100.7",
                {{"authorization", "Bearer trk_made-up-" + std::to_string(i)}}))
            .allowed;
  }
  EXPECT_EQ(allowed, 3);
}

// A manage token (or anything not shaped like an API key) is limited as no
// credential: changes made with it are anonymous writes, so guessing
// tokens gains nothing over the address's limits.
TEST_F(RateLimitPolicyTest, OtherCredentialsAreLimitedAsAnonymous) {
  RateLimitPolicy policy = Policy({.per_key = {100, 100},
                                   .per_address = {100, 100},
                                   .anonymous_writes = {1.0 / 60, 2}});
  int allowed = 0;
  for (int i = 0; i < 5; ++i) {
    allowed +=
        policy
            .Check(Request(
                "POST", "203.0.113.1",
                {{"authorization", "Bearer token-" + std::to_string(i)}}))
            .allowed;
  }
  EXPECT_EQ(allowed, 2);
}

TEST_F(RateLimitPolicyTest, IPv6ClientsAreCountedByTheirSlash64) {
  RateLimitPolicy policy = Policy({.per_key = {100, 100},
                                   .per_address = {1.0 / 60, 2},
                                   .anonymous_writes = {100, 100}});
  EXPECT_TRUE(policy.Check(Request("GET", "2001:db8:1:2::1")).allowed);
  EXPECT_TRUE(policy.Check(Request("GET", "2001:db8:1:2:ffff::9")).allowed);
  EXPECT_FALSE(policy.Check(Request("GET", "2001:db8:1:2::abcd")).allowed);
  EXPECT_TRUE(policy.Check(Request("GET", "2001:db8:1:3::1")).allowed);
}

TEST_F(RateLimitPolicyTest, TrustedProxyForwardsTheClientsAddress) {
  RateLimitPolicy policy = Policy({.per_key = {100, 100},
                                   .per_address = {1, 1},
                                   .anonymous_writes = {100, 100}});
  auto via = [](const char* client) {
    return Request("GET", "10.0.0.2", {{"x-forwarded-for", client}});
  };
  EXPECT_TRUE(policy.Check(via("198.51.100.1")).allowed);
  EXPECT_FALSE(policy.Check(via("198.51.100.1")).allowed);
  EXPECT_TRUE(policy.Check(via("198.51.100.2")).allowed);
  // A proxy's own line after the client's forged one: the proxy's is read.
  http::HttpRequest two_lines = Request("GET", "10.0.0.2",
                                        {{"x-forwarded-for", "198.51.100.9"},
                                         {"x-forwarded-for", "198.51.100.1"}});
  EXPECT_FALSE(policy.Check(two_lines).allowed);
  // From an untrusted peer the header changes nothing.
  EXPECT_TRUE(policy
                  .Check(Request("GET", "203.0.113.5",
                                 {{"x-forwarded-for", "198.51.100.3"}}))
                  .allowed);
  EXPECT_FALSE(policy
                   .Check(Request("GET", "203.0.113.5",
                                  {{"x-forwarded-for", "198.51.100.4"}}))
                   .allowed);
}

TEST_F(RateLimitPolicyTest, TooManyRequestsIsA429WithRetryAfter) {
  RateLimitPolicy::Outcome outcome;
  outcome.allowed = false;
  outcome.refused_by = "address";
  outcome.retry_after = absl::Milliseconds(1500);
  outcome.headers = {{"RateLimit-Limit", "2"}};
  http::HttpResponse response = RateLimitPolicy::TooManyRequests(outcome);
  EXPECT_EQ(response.status, 429);
  EXPECT_THAT(response.headers, Contains(Pair("Retry-After", "2")));
  EXPECT_THAT(response.headers, Contains(Pair("RateLimit-Limit", "2")));
  EXPECT_THAT(response.body, HasSubstr(R"("status":"RESOURCE_EXHAUSTED")"));
  EXPECT_THAT(response.body, HasSubstr("RATE_LIMITED"));
}

}  // namespace
}  // namespace training::gateway::edge

// The gateway's edge over real HTTP: a burst past a rate limit gets 429
// with Retry-After and the RateLimit fields; two gateway processes share
// one limit through a real Redis, and each falls back to its own limits
// when Redis stops; CORS preflights follow the route table and the
// allow-list; security headers are on every answer, refusals included.

#include "absl/strings/numbers.h"
#include "common/redis/testing_redis_server.h"
#include "tests/gateway_process_fixture.h"
#include "tests/raw_http.h"

namespace training::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPortal[] = "https://portal.example.org";

class GatewayEdgeTest : public GatewayFlowTest {
 protected:
  std::vector<std::string> GatewayFlags() override {
    return {"--rate_limit_per_address=1/h:5", "--rate_limit_per_key=1/h:50",
            std::string("--cors_allowed_origins=") + kPortal,
            "--hsts_max_age=8760h"};
  }

  static int IntHeader(const HttpReply& reply, const std::string& name) {
    int value = -1;
    if (!absl::SimpleAtoi(reply.Header(name), &value)) return -1;
    return value;
  }
};

TEST_F(GatewayEdgeTest, ABurstPastTheLimitIs429WithItsHeaders) {
  for (int i = 0; i < 5; ++i) {
    HttpReply ok = Call("GET", "/v1/courses");
    ASSERT_EQ(ok.status, 200) << i << ok.body;
    EXPECT_EQ(IntHeader(ok, "ratelimit-limit"), 5);
    EXPECT_EQ(IntHeader(ok, "ratelimit-remaining"), 4 - i);
    EXPECT_GT(IntHeader(ok, "ratelimit-reset"), 0);
  }
  HttpReply limited = Call("GET", "/v1/courses");
  EXPECT_EQ(limited.status, 429);
  EXPECT_GE(IntHeader(limited, "retry-after"), 1);
  EXPECT_EQ(IntHeader(limited, "ratelimit-remaining"), 0);
  EXPECT_EQ(IntHeader(limited, "ratelimit-limit"), 5);
  EXPECT_THAT(limited.body, HasSubstr(R"("status":"RESOURCE_EXHAUSTED")"));
  EXPECT_THAT(limited.body, HasSubstr(R"("reason":"RATE_LIMITED")"));

  // A caller with a key has its own budget; probes are never limited.
  HttpReply keyed = Call("GET", "/v1/courses", {Bearer(kAdminKey)});
  EXPECT_EQ(keyed.status, 200);
  EXPECT_EQ(IntHeader(keyed, "ratelimit-limit"), 50);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(Call("GET", "/healthz").status, 200);
  }
}

TEST_F(GatewayEdgeTest, PreflightsFollowTheRoutesAndTheAllowList) {
  const HttpHeaders preflight = {
      {"origin", kPortal},
      {"access-control-request-method", "POST"},
      {"access-control-request-headers", "content-type, idempotency-key"}};
  HttpReply allowed = Call("OPTIONS", "/v1/bookings", preflight);
  EXPECT_EQ(allowed.status, 204);
  EXPECT_EQ(allowed.Header("access-control-allow-origin"), kPortal);
  EXPECT_THAT(allowed.Header("access-control-allow-methods"), HasSubstr("GET"));
  EXPECT_THAT(allowed.Header("access-control-allow-methods"),
              HasSubstr("POST"));
  EXPECT_THAT(allowed.Header("access-control-allow-headers"),
              HasSubstr("Idempotency-Key"));

  HttpReply stranger = Call("OPTIONS", "/v1/bookings",
                            {{"origin", "https://evil.example.net"},
                             {"access-control-request-method", "POST"}});
  EXPECT_EQ(stranger.status, 403);
  EXPECT_EQ(stranger.Header("access-control-allow-origin"), "");
  HttpReply no_such_method =
      Call("OPTIONS", "/v1/courses/intro-mi",
           {{"origin", kPortal}, {"access-control-request-method", "PUT"}});
  EXPECT_EQ(no_such_method.status, 405);

  // The answer itself names the origin, and lets scripts read the limits.
  HttpReply get = Call("GET", "/v1/courses", {{"origin", kPortal}});
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.Header("access-control-allow-origin"), kPortal);
  EXPECT_THAT(get.Header("access-control-expose-headers"),
              HasSubstr("RateLimit-Remaining"));
  EXPECT_THAT(get.Header("vary"), HasSubstr("Origin"));
  HttpReply other =
      Call("GET", "/v1/courses", {{"origin", "https://evil.example.net"}});
  EXPECT_EQ(other.Header("access-control-allow-origin"), "");
}

TEST_F(GatewayEdgeTest, SecurityHeadersOnEveryAnswerRefusalsIncluded) {
  std::vector<HttpReply> replies = {
      Call("GET", "/v1/courses"), Call("GET", "/v1/nothing-here"),
      Call("GET", "/openapi.json"), Call("GET", "/healthz")};
  for (const HttpReply& reply : replies) {
    EXPECT_THAT(reply.Header("content-security-policy"),
                HasSubstr("default-src 'none'"))
        << reply.status;
    EXPECT_EQ(reply.Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(reply.Header("x-frame-options"), "DENY");
    EXPECT_EQ(reply.Header("referrer-policy"), "no-referrer");
    EXPECT_EQ(reply.Header("strict-transport-security"),
              "max-age=31536000; includeSubDomains");
  }
  // The server's own refusal (a header too large) carries them too.
  RawConnection raw(gateway_.port);
  raw.Send("GET /v1/courses HTTP/1.1\r\nHost: gw\r\nX-Big: " +
           std::string(20 << 10, 'a') + "\r\n\r\n");
  const std::string refusal = raw.ReadUntilClosed();
  EXPECT_EQ(FirstStatus(refusal), 431);
  EXPECT_THAT(refusal, HasSubstr("Content-Security-Policy: default-src"));
}

// Two gateway replicas, one Redis: one limit between them. Redis stopped:
// each applies its own, never none and never a refusal of everything.
TEST_F(GatewayEdgeTest, ReplicasShareOneLimitThroughRedisAndFallBackAlone) {
  redis::testing::RedisServer redis;
  ASSERT_TRUE(redis.Start());
  // Generous timeouts: a busy machine must not make a check fall back.
  const std::vector<std::string> shared = {
      "--redis_url=" + redis.url("timeout_ms=5000&connect_timeout_ms=5000"),
      "--rate_limit_per_address=1/h:6"};
  Process a = StartGateway(catalogue_.port, booking_.port, 0, 0, shared);
  Process b = StartGateway(catalogue_.port, booking_.port, 0, 0, shared);
  int served = 0;
  for (int i = 0; i < 12; ++i) {
    HttpReply reply =
        HttpCall(i % 2 == 0 ? a.port : b.port, "GET", "/v1/courses");
    ASSERT_TRUE(reply.status == 200 || reply.status == 429) << reply.status;
    served += reply.status == 200;
  }
  EXPECT_EQ(served, 6) << "each replica alone would have served 6";

  redis.Stop();
  int ok = 0, limited = 0;
  for (int i = 0; i < 10; ++i) {
    HttpReply reply = HttpCall(a.port, "GET", "/v1/courses");
    ASSERT_TRUE(reply.status == 200 || reply.status == 429) << reply.status;
    (reply.status == 200 ? ok : limited)++;
  }
  EXPECT_EQ(ok, 6) << "replica A's own limit, fresh";
  EXPECT_EQ(limited, 4);
}

}  // namespace
}  // namespace training::testing

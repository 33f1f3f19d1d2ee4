#include "gateway/edge/browser_safety.h"

#include "gateway/transcode/testdata/things_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::gateway::edge {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;

std::string HeaderOf(const http::HttpResponse& response,
                     const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

class BrowserSafetyTest : public ::testing::Test {
 protected:
  BrowserSafetyTest() : routes_(transcode::ThingsTable()) {}

  BrowserSafety Make(absl::Duration hsts = absl::ZeroDuration()) {
    return BrowserSafety({.allowed_origins = {"https://portal.example.org"},
                          .hsts_max_age = hsts},
                         routes_.get());
  }

  static http::HttpRequest Preflight(const std::string& origin,
                                     const std::string& path,
                                     const std::string& method) {
    http::HttpRequest request;
    request.method = "OPTIONS";
    request.target = path;
    request.headers = {{"origin", origin},
                       {"access-control-request-method", method}};
    return request;
  }

  std::unique_ptr<transcode::RouteTable> routes_;
};

TEST_F(BrowserSafetyTest, OriginsMustBeOrigins) {
  auto origins = ParseOrigins("https://A.example.org, http://localhost:3000");
  ASSERT_TRUE(origins.ok());
  EXPECT_THAT(*origins, Contains("https://a.example.org"));
  for (const char* bad : {"*", "example.org", "https://example.org/path",
                          "https://*.example.org", "ftp://example.org"}) {
    EXPECT_FALSE(ParseOrigins(bad).ok()) << bad;
  }
}

TEST_F(BrowserSafetyTest, PreflightAllowsExactlyThePathsMethods) {
  BrowserSafety safety = Make();
  auto ok = safety.Preflight(Preflight("https://portal.example.org",
                                       "/v1/shelves/s/things/t", "PATCH"));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 204);
  EXPECT_EQ(HeaderOf(*ok, "Access-Control-Allow-Origin"),
            "https://portal.example.org");
  const std::string methods = HeaderOf(*ok, "Access-Control-Allow-Methods");
  EXPECT_THAT(methods, HasSubstr("GET"));
  EXPECT_THAT(methods, HasSubstr("PATCH"));
  EXPECT_THAT(methods, HasSubstr("DELETE"));
  EXPECT_THAT(methods, Not(HasSubstr("PUT")));
  EXPECT_THAT(HeaderOf(*ok, "Access-Control-Allow-Headers"),
              HasSubstr("Idempotency-Key"));

  auto wrong_method = safety.Preflight(
      Preflight("https://portal.example.org", "/v1/things", "DELETE"));
  EXPECT_EQ(wrong_method->status, 405);
  auto no_path = safety.Preflight(
      Preflight("https://portal.example.org", "/v1/nowhere", "GET"));
  EXPECT_EQ(no_path->status, 404);
  auto stranger = safety.Preflight(
      Preflight("https://evil.example.net", "/v1/things", "GET"));
  EXPECT_EQ(stranger->status, 403);
  EXPECT_THAT(stranger->headers,
              Not(Contains(Key("Access-Control-Allow-Origin"))));
}

TEST_F(BrowserSafetyTest, NotAPreflight) {
  BrowserSafety safety = Make();
  http::HttpRequest get;
  get.method = "GET";
  get.target = "/v1/things";
  EXPECT_FALSE(safety.Preflight(get).has_value());
  http::HttpRequest bare_options = get;
  bare_options.method = "OPTIONS";
  EXPECT_FALSE(safety.Preflight(bare_options).has_value());
}

TEST_F(BrowserSafetyTest, ActualResponsesNameOnlyAllowedOrigins) {
  BrowserSafety safety = Make();
  http::HttpResponse allowed;
  safety.Decorate("https://portal.example.org", &allowed);
  EXPECT_EQ(HeaderOf(allowed, "Access-Control-Allow-Origin"),
            "https://portal.example.org");
  EXPECT_THAT(HeaderOf(allowed, "Access-Control-Expose-Headers"),
              HasSubstr("RateLimit-Remaining"));
  EXPECT_THAT(allowed.headers, Contains(Pair("Vary", "Origin")));
  http::HttpResponse other;
  safety.Decorate("https://evil.example.net", &other);
  EXPECT_THAT(other.headers, Not(Contains(Key("Access-Control-Allow-Origin"))));
  EXPECT_THAT(other.headers, Contains(Pair("Vary", "Origin")));
}

TEST_F(BrowserSafetyTest, SecurityHeadersAndHstsWhenAsked) {
  http::Headers plain = Make().SecurityHeaders();
  EXPECT_THAT(plain, Contains(Key("Content-Security-Policy")));
  EXPECT_THAT(plain, Contains(Pair("X-Frame-Options", "DENY")));
  EXPECT_THAT(plain, Contains(Pair("Referrer-Policy", "no-referrer")));
  EXPECT_THAT(plain, Not(Contains(Key("Strict-Transport-Security"))));
  EXPECT_THAT(Make(absl::Hours(24 * 365)).SecurityHeaders(),
              Contains(Pair("Strict-Transport-Security",
                            "max-age=31536000; includeSubDomains")));
  const std::string csp = BrowserSafety::ContentSecurityPolicy();
  EXPECT_THAT(csp, HasSubstr("default-src 'none'"));
  EXPECT_THAT(csp, HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(csp, Not(HasSubstr("unsafe-inline")));
}

}  // namespace
}  // namespace training::gateway::edge

// Hostile HTTP against the running gateway: oversized bodies and heads,
// ten thousand headers, malformed, deeply nested and non-UTF-8 JSON, the
// wrong content type, request smuggling shapes and a slowloris crowd. Each
// gets a clear 4xx or a closed connection, and a probe calling a real route
// throughout is served every time.

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/gateway_process_fixture.h"
#include "tests/raw_http.h"

namespace training::testing {
namespace {

using ::testing::HasSubstr;

// Calls GET /v1/courses every 20 ms on its own connection until stopped.
class Prober {
 public:
  explicit Prober(int port)
      : thread_([this, port] {
          while (!stop_.load()) {
            HttpReply reply =
                HttpCall(port, "GET", "/v1/courses", {}, "", absl::Seconds(30));
            (reply.status == 200 ? served_ : failed_).fetch_add(1);
            absl::SleepFor(absl::Milliseconds(20));
          }
        }) {}
  ~Prober() { Stop(); }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  int served() const { return served_.load(); }
  int failed() const { return failed_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0}, failed_{0};
  std::thread thread_;
};

class GatewayHostileHttpTest : public GatewayFlowTest {
 protected:
  std::vector<std::string> GatewayFlags() override {
    return {"--http_read_timeout=2s"};
  }

  // One raw request; what came back before the gateway closed.
  std::string Exchange(const std::string& bytes) {
    RawConnection connection(gateway_.port);
    EXPECT_TRUE(connection.connected());
    connection.Send(bytes);
    return connection.ReadUntilClosed();
  }

  static std::string Post(const std::string& target,
                          const std::string& content_type,
                          const std::string& body) {
    return absl::StrCat(
        "POST ", target, " HTTP/1.1\r\nHost: gw\r\n",
        content_type.empty() ? "" : "Content-Type: " + content_type + "\r\n",
        "Content-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
  }
};

TEST_F(GatewayHostileHttpTest, EveryAttackGetsAClearAnswerAndOthersAreServed) {
  const std::vector<std::string> sessions = CreateProgramme();
  ASSERT_FALSE(sessions.empty());
  Prober prober(gateway_.port);

  // A body over the limit (1 MiB): 413 before it is all read.
  std::string huge = Exchange(
      "POST /v1/bookings HTTP/1.1\r\nHost: gw\r\nContent-Type: "
      "application/json\r\nContent-Length: 2097152\r\n\r\n" +
      std::string(2 << 20, 'x'));
  EXPECT_EQ(FirstStatus(huge), 413) << huge.substr(0, 200);

  // A 20 KiB header, and ten thousand small ones: 431.
  std::string long_header =
      Exchange("GET /v1/courses HTTP/1.1\r\nHost: gw\r\nX-Long: " +
               std::string(20 << 10, 'a') + "\r\n\r\n");
  EXPECT_EQ(FirstStatus(long_header), 431);
  std::string many = "GET /v1/courses HTTP/1.1\r\nHost: gw\r\n";
  for (int i = 0; i < 10000; ++i) absl::StrAppend(&many, "X-H", i, ": v\r\n");
  std::string many_headers = Exchange(many + "\r\n");
  EXPECT_EQ(FirstStatus(many_headers), 431);

  // Malformed, deeply nested (10,000 levels) and non-UTF-8 JSON: 400 with
  // the JSON error shape.
  for (const std::string& body :
       {std::string(R"({"session":)"),
        std::string(10000, '[') + std::string(10000, ']'),
        absl::StrCat(R"({"session":")", sessions[0], R"(","attendee":)",
                     std::string(10000, '{'), std::string(10000, '}'), "}"),
        absl::StrCat(R"({"session":")", sessions[0],
                     R"(","attendee":{"displayName":"\xff\xfe"}})")}) {
    std::string reply =
        Exchange(Post("/v1/bookings", "application/json", body));
    EXPECT_EQ(FirstStatus(reply), 400) << body.substr(0, 60);
    EXPECT_THAT(reply, HasSubstr(R"("status":"INVALID_ARGUMENT")"));
  }

  // The wrong content type, as a cross-site form would send it: 415.
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded",
                           "multipart/form-data; boundary=x"}) {
    std::string reply =
        Exchange(Post("/v1/bookings", type,
                      absl::StrCat(R"({"session":")", sessions[0], R"("})")));
    EXPECT_EQ(FirstStatus(reply), 415) << type;
  }

  // Smuggling shapes: Content-Length with Transfer-Encoding, two different
  // Content-Lengths, an unknown transfer coding. Refused, and the bytes
  // after them never read as a second request.
  const std::string smuggled = "GET /v1/courses HTTP/1.1\r\nHost: gw\r\n\r\n";
  for (const std::string& head :
       {std::string("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"),
        std::string("Content-Length: 4\r\nContent-Length: 40\r\n"),
        std::string("Transfer-Encoding: gzip, chunked\r\n"),
        std::string("Transfer-Encoding: chunked\r\nTransfer-Encoding: "
                    "identity\r\n")}) {
    std::string reply = Exchange(
        "POST /v1/bookings HTTP/1.1\r\nHost: gw\r\nContent-Type: "
        "application/json\r\n" +
        head + "\r\n0\r\n\r\n" + smuggled);
    EXPECT_EQ(FirstStatus(reply), 400) << head;
    EXPECT_EQ(StatusLines(reply), 1) << head << reply;
  }

  // No Host (HTTP/1.1 requires it), and garbage for a request line.
  EXPECT_EQ(FirstStatus(Exchange("GET /v1/courses HTTP/1.1\r\n\r\n")), 400);
  EXPECT_EQ(FirstStatus(Exchange("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
                                 "garbage\r\n\r\n")),
            400);

  prober.Stop();
  EXPECT_EQ(prober.failed(), 0);
  EXPECT_GT(prober.served(), 0);
}

// A slowloris crowd: fifty connections each dribbling a header a byte at a
// time. Each is closed once the read timeout (2 s here) passes, and the
// probe is served throughout.
TEST_F(GatewayHostileHttpTest, ASlowlorisCrowdIsCutOffAndOthersAreServed) {
  Prober prober(gateway_.port);
  std::vector<std::unique_ptr<RawConnection>> crowd;
  for (int i = 0; i < 50; ++i) {
    crowd.push_back(std::make_unique<RawConnection>(gateway_.port));
    ASSERT_TRUE(crowd.back()->connected());
    crowd.back()->Send("GET /v1/courses HTTP/1.1\r\nHost: gw\r\nX-Slow: ");
  }
  // Keep dribbling for longer than the read timeout.
  bool all_cut = false;
  const absl::Time give_up = absl::Now() + absl::Seconds(30);  // watchdog
  while (!all_cut && absl::Now() < give_up) {
    all_cut = true;
    for (auto& connection : crowd) {
      all_cut = !connection->Send("a") && all_cut;
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_TRUE(all_cut) << "slow connections were never closed";
  prober.Stop();
  EXPECT_EQ(prober.failed(), 0);
  EXPECT_GT(prober.served(), 10);
}

}  // namespace
}  // namespace training::testing

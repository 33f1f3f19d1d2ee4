#include "gateway/http/http_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gateway/http/gzip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::gateway::http {
namespace {

int OpenDescriptors() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count - 3;  // ".", ".." and the directory's own
}

// A connected client socket, or -1.
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  timeval timeout{30, 0};  // a watchdog: the reply must come, not hang
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

std::string Get(int fd) {
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  if (write(fd, request.data(), request.size()) < 0) return "";
  std::string reply;
  char buffer[1024];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) {
    reply.append(buffer, static_cast<size_t>(n));
  }
  return reply;
}

// Out of file descriptors, a connection waits in the kernel's queue and
// every accept fails at once: the server must wait between tries (a
// spinning loop makes hundreds of thousands of them a second) and serve the
// connection once a descriptor is free.
TEST(HttpServerTest, AcceptBacksOffWhenOutOfDescriptorsAndRecovers) {
  HttpServerOptions options;
  options.threads = 1;
  auto server = HttpServer::Start(options, [](HttpRequest, Responder respond) {
    respond(HttpResponse{200, "application/json", R"({"status":"ok"})", {}});
  });
  ASSERT_TRUE(server.ok()) << server.status();
  // Served once with descriptors to spare. (This also lets UBSan check the
  // accept path's types while it can: its slow path opens a pipe, which a
  // process out of descriptors cannot, and would report a false "invalid
  // vptr"; once checked, a type is cached.)
  const int idle = OpenDescriptors();
  const int warm = Connect((*server)->port());
  ASSERT_GE(warm, 0);
  EXPECT_NE(Get(warm).find("200 OK"), std::string::npos);
  close(warm);
  // The server closes its side once it has seen ours close: wait for that,
  // so that the limit below counts only what stays open.
  for (absl::Time end = absl::Now() + absl::Seconds(30);
       OpenDescriptors() > idle && absl::Now() < end;) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(OpenDescriptors(), idle);
  rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  // Room for the first client and its accepted socket, then the second
  // client; its accepted socket is one too many.
  rlimit tight = saved;
  tight.rlim_cur = static_cast<rlim_t>(OpenDescriptors() + 3);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
  const int first = Connect((*server)->port());
  const int second = Connect((*server)->port());
  absl::SleepFor(absl::Milliseconds(500));
  const int64_t failures = (*server)->accept_failures();

  close(first);  // frees a descriptor for the server
  const std::string reply = second >= 0 ? Get(second) : "";
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);

  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  EXPECT_GE(failures, 1) << "the server never ran out";
  // Doubling from 10 ms, half a second holds at most 6 tries; a generous
  // bound that a spinning loop misses by orders of magnitude.
  EXPECT_LE(failures, 20);
  EXPECT_NE(reply.find("200 OK"), std::string::npos) << reply;
  close(second);
  (*server)->Stop();
}

// Writes `request` and reads until the server closes or `until` appears.
std::string Exchange(int fd, const std::string& request,
                     const std::string& until = "") {
  if (!request.empty() && write(fd, request.data(), request.size()) !=
                              static_cast<ssize_t>(request.size())) {
    return "";
  }
  std::string reply;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) {
    reply.append(buffer, static_cast<size_t>(n));
    if (!until.empty() && absl::StrContains(reply, until)) break;
  }
  return reply;
}

class ServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options, HttpHandler handler) {
    auto server = HttpServer::Start(options, std::move(handler));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void StartEcho(HttpServerOptions options = {}) {
    Start(options, [](HttpRequest request, Responder respond) {
      HttpResponse response;
      response.body = absl::StrCat(
          R"({"method":")", request.method, R"(","path":")", request.Path(),
          R"(","query":")", request.Query(), R"(","bytes":)",
          request.body.size(), R"(,"x":")", request.Header("X-Thing"), R"("})");
      respond(std::move(response));
    });
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartEcho();
  const int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  std::string first = Exchange(
      fd, "GET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Thing: one\r\n\r\n", "}");
  EXPECT_THAT(first, ::testing::HasSubstr("200 OK"));
  EXPECT_THAT(first, ::testing::HasSubstr(R"("query":"x=1")"));
  EXPECT_THAT(first, ::testing::HasSubstr(R"("x":"one")"));
  std::string second =
      Exchange(fd,
               "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
               "Connection: close\r\n\r\nabc");
  EXPECT_THAT(second, ::testing::HasSubstr(R"("path":"/b")"));
  EXPECT_THAT(second, ::testing::HasSubstr(R"("bytes":3)"));
  close(fd);
}

TEST_F(ServerTest, LimitsAreAnsweredWithTheirStatus) {
  HttpServerOptions options;
  options.max_body_bytes = 100;
  options.max_header_bytes = 1024;
  options.max_header_fields = 10;
  StartEcho(options);

  int fd = Connect(server_->port());
  std::string big_body = Exchange(
      fd, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n" +
              std::string(101, 'a'));
  EXPECT_THAT(big_body, ::testing::StartsWith("HTTP/1.1 413"));
  EXPECT_THAT(big_body, ::testing::HasSubstr(R"("code":413)"));
  close(fd);

  fd = Connect(server_->port());
  std::string big_header = Exchange(
      fd, "GET /x HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'b') +
              "\r\n\r\n");
  EXPECT_THAT(big_header, ::testing::StartsWith("HTTP/1.1 431"));
  close(fd);

  fd = Connect(server_->port());
  std::string many = "GET /x HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 11; ++i) absl::StrAppend(&many, "X-F", i, ": v\r\n");
  EXPECT_THAT(Exchange(fd, many + "\r\n"),
              ::testing::StartsWith("HTTP/1.1 431"));
  close(fd);

  fd = Connect(server_->port());
  EXPECT_THAT(Exchange(fd, "NOT HTTP AT ALL\r\n\r\n"),
              ::testing::StartsWith("HTTP/1.1 400"));
  close(fd);
}

TEST_F(ServerTest, AmbiguousFramingIsRefusedNotSmuggled) {
  std::atomic<int> refused{0};
  HttpServerOptions options;
  options.on_refused = [&](int status) {
    if (status == 400) ++refused;
  };
  StartEcho(options);
  // Beast would read no body here and take "GET /smuggled" for the next
  // request on the connection.
  int fd = Connect(server_->port());
  std::string reply = Exchange(
      fd,
      "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity"
      "\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_THAT(reply, ::testing::StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(reply, ::testing::Not(::testing::HasSubstr("/smuggled")));
  close(fd);
  fd = Connect(server_->port());
  EXPECT_THAT(Exchange(fd, "GET /x HTTP/1.1\r\n\r\n"),
              ::testing::StartsWith("HTTP/1.1 400"))
      << "HTTP/1.1 without Host";
  close(fd);
  EXPECT_EQ(refused.load(), 2) << "refusals are reported";
}

TEST_F(ServerTest, HeadIsGetWithoutTheBody) {
  StartEcho();
  const int fd = Connect(server_->port());
  std::string reply =
      Exchange(fd, "HEAD /h HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(reply, ::testing::StartsWith("HTTP/1.1 200"));
  const std::string get_body =
      R"({"method":"GET","path":"/h","query":"","bytes":0,"x":""})";
  EXPECT_THAT(reply, ::testing::HasSubstr(
                         absl::StrCat("Content-Length: ", get_body.size())));
  EXPECT_TRUE(absl::EndsWith(reply, "\r\n\r\n")) << "no body: " << reply;
  close(fd);
}

// A refused request whose body the server will not read still gets its
// answer (the server reads and drops the rest rather than reset), and on
// a connection that served a HEAD before, the refusal has its body.
TEST_F(ServerTest, ARefusalArrivesWholeAfterABigBodyAndAfterAHead) {
  HttpServerOptions options;
  options.max_body_bytes = 100;
  StartEcho(options);
  int fd = Connect(server_->port());
  EXPECT_THAT(Exchange(fd,
                       "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: "
                       "300000\r\n\r\n" +
                           std::string(300000, 'a')),
              ::testing::HasSubstr(R"("code":413)"));
  close(fd);
  fd = Connect(server_->port());
  std::string head =
      Exchange(fd, "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n", "\r\n\r\n");
  EXPECT_THAT(head, ::testing::StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(Exchange(fd,
                       "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: "
                       "101\r\n\r\n" +
                           std::string(101, 'a')),
              ::testing::HasSubstr(R"("code":413)"));
  close(fd);
}

TEST_F(ServerTest, ExpectContinueGetsItsInterimAnswer) {
  StartEcho();
  const int fd = Connect(server_->port());
  std::string interim =
      Exchange(fd,
               "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n"
               "Expect: 100-continue\r\nConnection: close\r\n\r\n",
               "100 Continue\r\n\r\n");
  EXPECT_THAT(interim, ::testing::StartsWith("HTTP/1.1 100 Continue"));
  EXPECT_THAT(Exchange(fd, "abcd"), ::testing::HasSubstr(R"("bytes":4)"));
  close(fd);
}

// One I/O thread; a client that sends half a request and stops must
// neither hold that thread nor its connection past the read timeout.
TEST_F(ServerTest, ASlowClientPinsNothing) {
  HttpServerOptions options;
  options.threads = 1;
  options.read_timeout = absl::Milliseconds(300);
  StartEcho(options);
  const int slow = Connect(server_->port());
  ASSERT_GE(slow, 0);
  const std::string half = "GET /slow HTTP/1.1\r\nHost: h\r\nX-Th";
  ASSERT_EQ(write(slow, half.data(), half.size()),
            static_cast<ssize_t>(half.size()));
  const int fast = Connect(server_->port());
  EXPECT_THAT(Exchange(fast,
                       "GET /fast HTTP/1.1\r\nHost: h\r\n"
                       "Connection: close\r\n\r\n"),
              ::testing::HasSubstr(R"("path":"/fast")"));
  close(fast);
  // The slow one is closed (the read returns, no hang).
  EXPECT_EQ(Exchange(slow, ""), "");
  close(slow);
}

TEST_F(ServerTest, AnIdleConnectionIsClosed) {
  HttpServerOptions options;
  options.idle_timeout = absl::Milliseconds(200);
  StartEcho(options);
  const int fd = Connect(server_->port());
  EXPECT_EQ(Exchange(fd, ""), "") << "closed without a word";
  close(fd);
}

TEST_F(ServerTest, GzipWhenAcceptedAndWorthIt) {
  Start({}, [](HttpRequest request, Responder respond) {
    HttpResponse response;
    response.body = absl::StrCat(
        R"({"items":")", std::string(request.Path() == "/big" ? 5000 : 10, 'x'),
        R"("})");
    respond(std::move(response));
  });
  auto get = [&](const std::string& path, const std::string& accept) {
    const int fd = Connect(server_->port());
    std::string reply =
        Exchange(fd, "GET " + path + " HTTP/1.1\r\nHost: h\r\n" + accept +
                         "Connection: close\r\n\r\n");
    close(fd);
    return reply;
  };
  std::string gzipped = get("/big", "Accept-Encoding: br, gzip\r\n");
  ASSERT_THAT(gzipped, ::testing::HasSubstr("Content-Encoding: gzip"));
  EXPECT_THAT(gzipped, ::testing::HasSubstr("Vary: Accept-Encoding"));
  auto body = Gunzip(gzipped.substr(gzipped.find("\r\n\r\n") + 4));
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(body->size(), 5000u + 12u);
  EXPECT_THAT(get("/big", ""), ::testing::Not(::testing::HasSubstr("gzip")));
  EXPECT_THAT(get("/big", "Accept-Encoding: gzip;q=0\r\n"),
              ::testing::Not(::testing::HasSubstr("Content-Encoding")));
  EXPECT_THAT(get("/small", "Accept-Encoding: gzip\r\n"),
              ::testing::Not(::testing::HasSubstr("Content-Encoding")));
}

TEST(GzipTest, AcceptEncoding) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("*, gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("br"));
  EXPECT_FALSE(AcceptsGzip(""));
}

// Answers may come later from another thread; a drain waits for them,
// closes idle connections at once and refuses new ones.
TEST_F(ServerTest, DrainLetsRequestsInFlightFinish) {
  absl::Notification arrived;
  std::vector<std::thread> answerers;
  std::mutex mu;
  Start({}, [&](HttpRequest, Responder respond) {
    std::lock_guard<std::mutex> lock(mu);
    answerers.emplace_back([respond = std::move(respond)] {
      absl::SleepFor(absl::Milliseconds(500));
      respond(HttpResponse{200, "application/json", R"({"late":true})", {}});
    });
    arrived.Notify();
  });
  const int port = server_->port();
  const int idle = Connect(port);
  const int busy = Connect(port);
  const std::string get = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_EQ(write(busy, get.data(), get.size()),
            static_cast<ssize_t>(get.size()));
  ASSERT_TRUE(arrived.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(server_->in_flight(), 1);
  std::string reply;
  std::thread reader([&] { reply = Exchange(busy, ""); });
  EXPECT_TRUE(server_->Drain(absl::Seconds(30)));
  reader.join();
  EXPECT_THAT(reply, ::testing::HasSubstr(R"({"late":true})"));
  EXPECT_THAT(reply, ::testing::HasSubstr("Connection: close"));
  EXPECT_EQ(Exchange(idle, ""), "") << "the idle connection was closed";
  EXPECT_LT(Connect(port), 0) << "no longer accepting";
  for (auto& t : answerers) t.join();
  close(idle);
  close(busy);
}

}  // namespace
}  // namespace training::gateway::http

#include "gateway/http_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace training::gateway {
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
  auto server = HttpServer::Start("127.0.0.1", 0, 1, [](const HttpRequest&) {
    return HttpResponse{200, "application/json", R"({"status":"ok"})"};
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

}  // namespace
}  // namespace training::gateway

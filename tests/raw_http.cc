#include "tests/raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"

namespace training::testing {

RawConnection::RawConnection(int port, absl::Duration watchdog) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) !=
      0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  timeval timeout = absl::ToTimeval(watchdog);
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

bool RawConnection::Send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n =
        send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string RawConnection::ReadUntilClosed() {
  std::string out;
  char buffer[16384];
  for (ssize_t n; (n = recv(fd_, buffer, sizeof buffer, 0)) > 0;) {
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

bool RawConnection::ClosedWithin(absl::Duration within) {
  const absl::Time until = absl::Now() + within;
  char buffer[4096];
  while (absl::Now() < until) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = poll(&p, 1, 100);
    if (ready <= 0) continue;
    const ssize_t n = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0) return true;                    // orderly close
    if (n < 0 && errno != EAGAIN) return true;  // reset
  }
  return false;
}

int FirstStatus(const std::string& raw) {
  const size_t at = raw.find("HTTP/1.1 ");
  int status = 0;
  if (at == std::string::npos ||
      !absl::SimpleAtoi(raw.substr(at + 9, 3), &status)) {
    return 0;
  }
  return status;
}

int StatusLines(const std::string& raw) {
  int n = 0;
  for (size_t at = raw.find("HTTP/1.1 "); at != std::string::npos;
       at = raw.find("HTTP/1.1 ", at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace training::testing

#include "bench/webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace training::bench {
namespace {

constexpr char kReply[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n";

// The string value after `"key":"` in `text`, or "".
std::string JsonString(const std::string& text, const std::string& key) {
  const std::string marker = absl::StrCat("\"", key, "\":\"");
  const size_t at = text.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  const size_t end = text.find('"', start);
  return end == std::string::npos ? "" : text.substr(start, end - start);
}

// A header's value (names compared in lower case), or "".
std::string Header(const std::string& head, const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(head);
  const size_t at = lower.find(absl::StrCat("\r\n", name, ":"));
  if (at == std::string::npos) return "";
  const size_t start = at + name.size() + 3;
  const size_t end = head.find("\r\n", start);
  return std::string(
      absl::StripAsciiWhitespace(head.substr(start, end - start)));
}

}  // namespace

BenchReceiver::~BenchReceiver() {
  stop_ = true;
  if (listener_ >= 0) shutdown(listener_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    for (int fd : connections_) shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
  if (listener_ >= 0) close(listener_);
}

absl::Status BenchReceiver::Start(const std::string& host) {
  listener_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  if (listener_ < 0 ||
      inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1 ||
      bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
          0 ||
      listen(listener_, 128) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", host));
  }
  socklen_t size = sizeof(address);
  getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
  return absl::OkStatus();
}

std::vector<BenchReceiver::Hit> BenchReceiver::Take() {
  absl::MutexLock lock(&mu_);
  std::vector<Hit> out;
  out.swap(hits_);
  return out;
}

void BenchReceiver::Accept() {
  while (!stop_) {
    const int fd = accept(listener_, nullptr, nullptr);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    absl::MutexLock lock(&mu_);
    connections_.push_back(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void BenchReceiver::Serve(int fd) {
  std::string buffer;
  char chunk[16384];
  while (!stop_) {
    const size_t head_end = buffer.find("\r\n\r\n");
    if (head_end == std::string::npos) {
      const ssize_t n = read(fd, chunk, sizeof(chunk));
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
      continue;
    }
    const std::string head = buffer.substr(0, head_end + 2);
    size_t length = 0;
    (void)absl::SimpleAtoi(Header(head, "content-length"), &length);
    if (buffer.size() < head_end + 4 + length) {
      const ssize_t n = read(fd, chunk, sizeof(chunk));
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
      continue;
    }
    const std::string body = buffer.substr(head_end + 4, length);
    buffer.erase(0, head_end + 4 + length);
    Hit hit{.webhook_id = Header(head, "webhook-id"),
            .booking = JsonString(body, "booking"),
            .occur_time = absl::InfinitePast(),
            .received = absl::Now(),
            .body = body};
    std::string error;
    absl::ParseTime(absl::RFC3339_full, JsonString(body, "occurTime"),
                    &hit.occur_time, &error);
    {
      absl::MutexLock lock(&mu_);
      hits_.push_back(std::move(hit));
    }
    ++count_;
    if (write(fd, kReply, sizeof(kReply) - 1) < 0) break;
  }
  close(fd);
}

}  // namespace training::bench

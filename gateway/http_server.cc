#include "gateway/http_server.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>  // Before Boost.Asio: GCC 12 + C++20 needs it (TRAPS.md).
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace training::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxBodyBytes = 1 << 20;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpHandler* handler)
      : stream_(std::move(socket)), handler_(handler) {}

  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return Close();
    if (ec == http::error::body_limit) {
      return Reply(
          413,
          R"({"error":{"code":413,"status":"INVALID_ARGUMENT","message":"body: larger than 1 MiB"}})",
          "application/json", false);
    }
    if (ec) return;
    auto request = parser_->release();
    HttpRequest in;
    in.method = std::string(request.method_string());
    in.target = std::string(request.target());
    in.body = std::move(request.body());
    in.header = [&request](const std::string& name) {
      auto it = request.find(name);
      return it == request.end() ? std::string() : std::string(it->value());
    };
    HttpResponse out = (*handler_)(in);
    Reply(out.status, std::move(out.body), out.content_type,
          request.keep_alive());
  }

  void Reply(int status, std::string body, const std::string& content_type,
             bool keep_alive) {
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(status), 11);
    response->set(http::field::content_type, content_type);
    response->set(http::field::cache_control, "no-store");
    response->keep_alive(keep_alive);
    response->body() = std::move(body);
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response, keep_alive](
                          beast::error_code ec, size_t) {
                        if (ec) return;
                        if (keep_alive) {
                          self->Read();
                        } else {
                          self->Close();
                        }
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpHandler* handler_;
};

class BeastHttpServer final : public HttpServer {
 public:
  explicit BeastHttpServer(HttpHandler handler)
      : handler_(std::move(handler)) {}
  ~BeastHttpServer() override { Stop(); }

  absl::Status Listen(const std::string& host, int port, int threads) {
    beast::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) return absl::InvalidArgumentError("http host: not an IP address");
    tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("http port ", port, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    for (int i = 0; i < std::max(1, threads); ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
    return absl::OkStatus();
  }

  int port() const override { return port_; }
  int64_t accept_failures() const override {
    return accept_failures_.load(std::memory_order_relaxed);
  }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    asio::post(io_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      accept_timer_.cancel();
    });
    io_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec,
                                                          tcp::socket socket) {
      if (!acceptor_.is_open()) return;
      if (!ec) {
        accept_backoff_ = std::chrono::milliseconds(0);
        std::make_shared<Session>(std::move(socket), &handler_)->Start();
        return Accept();
      }
      // Out of descriptors (or memory), the connection waits in the
      // kernel's queue and accept fails again at once: retrying straight
      // away would spin a core. Wait, doubling up to a second, until
      // closing connections free some.
      accept_failures_.fetch_add(1, std::memory_order_relaxed);
      accept_backoff_ =
          std::clamp(accept_backoff_ * 2, std::chrono::milliseconds(10),
                     std::chrono::milliseconds(1000));
      accept_timer_.expires_after(accept_backoff_);
      accept_timer_.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && acceptor_.is_open()) Accept();
      });
    });
  }

  HttpHandler handler_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  // Touched only by the accept handler, one at a time.
  asio::steady_timer accept_timer_{io_};
  std::chrono::milliseconds accept_backoff_{0};
  std::atomic<int64_t> accept_failures_{0};
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
  int port_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& host, int port, int threads, HttpHandler handler) {
  auto server = std::make_unique<BeastHttpServer>(std::move(handler));
  absl::Status status = server->Listen(host, port, threads);
  if (!status.ok()) return status;
  return server;
}

}  // namespace training::gateway

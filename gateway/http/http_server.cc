#include "gateway/http/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>  // Before Boost.Asio: GCC 12 + C++20 needs it (TRAPS.md).
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gateway/http/gzip.h"

namespace training::gateway::http {

std::string HttpRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

absl::string_view HttpRequest::Path() const {
  absl::string_view t = target;
  return t.substr(0, t.find('?'));
}

absl::string_view HttpRequest::Query() const {
  absl::string_view t = target;
  size_t q = t.find('?');
  return q == absl::string_view::npos ? absl::string_view() : t.substr(q + 1);
}

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

std::chrono::steady_clock::duration Chrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

std::string ErrorBody(int code, absl::string_view message) {
  return absl::StrCat(R"({"error":{"code":)", code,
                      R"(,"status":"INVALID_ARGUMENT","message":")", message,
                      R"(","details":[]}})");
}

bool Compressible(absl::string_view content_type) {
  return absl::StartsWith(content_type, "application/json") ||
         absl::StartsWith(content_type, "text/") ||
         absl::StrContains(content_type, "+json");
}

class Core;

// What outlives the server for a Responder called late: it posts only
// while the I/O context still runs.
struct Mailbox {
  std::mutex mu;
  bool open = true;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Core* core, uint64_t id);
  ~Session();

  void Start();
  // From the drain, on any thread: closes the connection if no request is
  // on it.
  void CloseIfIdle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->state_ == State::kIdle) self->Close();
    });
  }

 private:
  enum class State { kIdle, kReading, kHandling, kWriting, kClosed };

  void WaitForRequest();
  void ReadRequest();
  void OnHeader(beast::error_code ec);
  void OnRead(beast::error_code ec);
  void Write(HttpResponse response, bool keep_alive);
  void Refuse(int status, absl::string_view message);
  void Linger();
  void Close();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Core* core_;
  uint64_t id_;
  State state_ = State::kIdle;
  bool accepts_gzip_ = false;
  bool head_ = false;      // the request in hand is a HEAD
  bool refusing_ = false;  // the answer being written refuses the request
  int lingered_ = 0;
};

class Core final : public HttpServer {
 public:
  Core(HttpServerOptions options, HttpHandler handler)
      : options_(std::move(options)), handler_(std::move(handler)) {}
  ~Core() override { Stop(); }

  absl::Status Listen() {
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return absl::InvalidArgumentError("http host: not an IP address");
    tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("http port ", options_.port, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    for (int i = 0; i < std::max(1, options_.threads); ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
    return absl::OkStatus();
  }

  int port() const override { return port_; }
  int64_t accept_failures() const override {
    return accept_failures_.load(std::memory_order_relaxed);
  }
  int64_t in_flight() const override {
    return in_flight_.load(std::memory_order_relaxed);
  }

  bool Drain(absl::Duration timeout) override {
    draining_.store(true);
    asio::post(accept_strand_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      accept_timer_.cancel();
    });
    const absl::Time deadline = absl::Now() + timeout;
    bool done = false;
    while (!done) {
      std::vector<std::shared_ptr<Session>> open;
      {
        std::lock_guard<std::mutex> lock(sessions_mu_);
        for (auto& [id, weak] : sessions_) {
          if (auto session = weak.lock()) open.push_back(std::move(session));
        }
      }
      for (auto& session : open) session->CloseIfIdle();
      done = open.empty();
      if (done || absl::Now() >= deadline) break;
      absl::SleepFor(absl::Milliseconds(10));
    }
    Stop();
    return done;
  }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    asio::post(accept_strand_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      accept_timer_.cancel();
    });
    {
      std::lock_guard<std::mutex> lock(mailbox_->mu);
      mailbox_->open = false;
    }
    io_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  const HttpServerOptions& options() const { return options_; }
  void Refused(int status) {
    if (options_.on_refused) options_.on_refused(status);
  }
  bool draining() const { return draining_.load(); }

  void Register(uint64_t id, std::weak_ptr<Session> session) {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_[id] = std::move(session);
  }
  void Unregister(uint64_t id) {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_.erase(id);
  }

  // Hands a request to the handler with a Responder that posts the answer
  // back to the session's strand (once).
  void Dispatch(HttpRequest request, std::shared_ptr<Session> session,
                std::function<void(HttpResponse)> write,
                const asio::any_io_executor& executor) {
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    auto called = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<Mailbox> mailbox = mailbox_;
    Responder respond = [mailbox, executor, session, write = std::move(write),
                         called](HttpResponse response) mutable {
      if (called->exchange(true)) return;
      std::lock_guard<std::mutex> lock(mailbox->mu);
      if (!mailbox->open) return;
      asio::post(executor, [write, response = std::move(response)]() mutable {
        write(std::move(response));
      });
    };
    handler_(std::move(request), std::move(respond));
  }
  void Finished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec,
                                                          tcp::socket socket) {
      if (!acceptor_.is_open() || draining_.load()) return;
      if (!ec) {
        accept_backoff_ = std::chrono::milliseconds(0);
        auto session =
            std::make_shared<Session>(std::move(socket), this, next_id_++);
        session->Start();
        return Accept();
      }
      // Out of descriptors (or memory), the connection waits in the
      // kernel's queue and accept fails again at once: retrying
      // straight away would spin a core. Wait, doubling up to a second,
      // until closing connections free some.
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

  const HttpServerOptions options_;
  HttpHandler handler_;
  // Declared before the I/O context: sessions that the context's
  // destruction frees unregister here.
  std::mutex sessions_mu_;
  std::map<uint64_t, std::weak_ptr<Session>> sessions_;
  std::shared_ptr<Mailbox> mailbox_ = std::make_shared<Mailbox>();
  asio::io_context io_;
  // Keeps the I/O threads running while no socket operation is pending (a
  // drain's last request waiting for its backend, say).
  asio::executor_work_guard<asio::io_context::executor_type> work_ =
      asio::make_work_guard(io_);
  // The acceptor and its back-off timer are touched on this strand only:
  // by the accept handler, and by the drain and stop that close them.
  asio::strand<asio::io_context::executor_type> accept_strand_ =
      asio::make_strand(io_);
  tcp::acceptor acceptor_{accept_strand_};
  asio::steady_timer accept_timer_{accept_strand_};
  std::chrono::milliseconds accept_backoff_{0};
  uint64_t next_id_ = 1;
  std::atomic<int64_t> accept_failures_{0};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<bool> draining_{false};
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
  int port_ = 0;
};

Session::Session(tcp::socket socket, Core* core, uint64_t id)
    : stream_(std::move(socket)), core_(core), id_(id) {}

Session::~Session() { core_->Unregister(id_); }

void Session::Start() {
  core_->Register(id_, weak_from_this());
  WaitForRequest();
}

void Session::WaitForRequest() {
  if (core_->draining()) return Close();
  state_ = State::kIdle;
  if (buffer_.size() > 0) return ReadRequest();  // pipelined
  stream_.expires_after(Chrono(core_->options().idle_timeout));
  stream_.async_read_some(
      buffer_.prepare(4096),
      [self = shared_from_this()](beast::error_code ec, size_t n) {
        // A drain may have closed the connection as these bytes came.
        if (ec || self->state_ == State::kClosed) return self->Close();
        self->buffer_.commit(n);
        self->ReadRequest();
      });
}

void Session::ReadRequest() {
  if (state_ == State::kClosed) return;
  state_ = State::kReading;
  parser_.emplace();
  parser_->body_limit(core_->options().max_body_bytes);
  parser_->header_limit(
      static_cast<uint32_t>(core_->options().max_header_bytes));
  stream_.expires_after(Chrono(core_->options().read_timeout));
  bhttp::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) {
        self->OnHeader(ec);
      });
}

void Session::OnHeader(beast::error_code ec) {
  if (ec == bhttp::error::header_limit) {
    return Refuse(431, "request header: too large");
  }
  if (ec == bhttp::error::body_limit) {
    return Refuse(413, "body: too large");
  }
  // A timeout has already closed the socket (tcp_stream's way): nothing
  // can be said to a client that slow.
  if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
      ec == asio::error::eof || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset) {
    return Close();
  }
  if (ec) return Refuse(400, "request: malformed HTTP");
  const auto& header = parser_->get();
  if (static_cast<size_t>(std::distance(header.begin(), header.end())) >
      core_->options().max_header_fields) {
    return Refuse(431, "request header: too many fields");
  }
  // RFC 9112 §6.1: a Transfer-Encoding that does not end in chunked
  // leaves the body's end unknown (Beast would read none, and take the
  // body for the next request): refuse it rather than be smuggled past.
  if (header.find(bhttp::field::transfer_encoding) != header.end() &&
      !parser_->chunked()) {
    return Refuse(400, "transfer-encoding: must end in chunked");
  }
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is refused.
  if (header.version() >= 11 &&
      header.find(bhttp::field::host) == header.end()) {
    return Refuse(400, "host: required");
  }
  auto read_body = [self = shared_from_this()] {
    bhttp::async_read(
        self->stream_, self->buffer_, *self->parser_,
        [self](beast::error_code read_ec, size_t) { self->OnRead(read_ec); });
  };
  auto expect = header.find(bhttp::field::expect);
  if (expect != header.end() &&
      absl::EqualsIgnoreCase(std::string(expect->value()), "100-continue")) {
    // curl and others wait for this before sending a larger body.
    auto cont = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
    return asio::async_write(stream_, asio::buffer(*cont),
                             [self = shared_from_this(), cont, read_body](
                                 beast::error_code write_ec, size_t) {
                               if (write_ec) return self->Close();
                               read_body();
                             });
  }
  read_body();
}

void Session::OnRead(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) return Refuse(413, "body: too large");
  if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
      ec == asio::error::eof || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset) {
    return Close();
  }
  if (ec) return Refuse(400, "request: malformed HTTP");
  auto message = parser_->release();
  HttpRequest request;
  request.method = std::string(message.method_string());
  // HEAD is GET without the body (RFC 9110 §9.3.2).
  head_ = request.method == "HEAD";
  if (head_) request.method = "GET";
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.headers.emplace_back(
        absl::AsciiStrToLower(std::string(field.name_string())),
        std::string(field.value()));
  }
  request.body = std::move(message.body());
  accepts_gzip_ = AcceptsGzip(request.Header("accept-encoding"));
  const bool keep_alive = message.keep_alive();
  state_ = State::kHandling;
  stream_.expires_never();  // the handler's own deadline bounds the wait
  auto self = shared_from_this();
  core_->Dispatch(
      std::move(request), self,
      [self, keep_alive](HttpResponse response) {
        self->core_->Finished();
        self->Write(std::move(response), keep_alive);
      },
      stream_.get_executor());
}

void Session::Write(HttpResponse out, bool keep_alive) {
  if (state_ == State::kClosed) return;
  state_ = State::kWriting;
  auto response = std::make_shared<bhttp::response<bhttp::string_body>>(
      static_cast<bhttp::status>(out.status), 11);
  response->set(bhttp::field::content_type, out.content_type);
  bool cache_control = false;
  std::string vary;
  for (auto& [name, value] : out.headers) {
    if (absl::EqualsIgnoreCase(name, "vary")) {
      vary = value;
      continue;
    }
    cache_control =
        cache_control || absl::EqualsIgnoreCase(name, "cache-control");
    response->insert(name, value);
  }
  if (!cache_control) response->set(bhttp::field::cache_control, "no-store");
  response->set("X-Content-Type-Options", "nosniff");
  if (Compressible(out.content_type)) {
    vary = vary.empty() ? "Accept-Encoding" : vary + ", Accept-Encoding";
  }
  if (!vary.empty()) response->set(bhttp::field::vary, vary);
  if (accepts_gzip_ && !head_ && Compressible(out.content_type) &&
      out.body.size() >= core_->options().gzip_min_bytes) {
    if (auto gzipped = Gzip(out.body)) {
      out.body = *std::move(gzipped);
      response->set(bhttp::field::content_encoding, "gzip");
    }
  }
  keep_alive = keep_alive && !core_->draining();
  response->keep_alive(keep_alive);
  if (head_) {
    response->content_length(out.body.size());
  } else {
    response->body() = std::move(out.body);
    response->prepare_payload();
  }
  stream_.expires_after(Chrono(core_->options().write_timeout));
  bhttp::async_write(stream_, *response,
                     [self = shared_from_this(), response, keep_alive](
                         beast::error_code ec, size_t) {
                       if (!ec && self->refusing_) return self->Linger();
                       if (ec || !keep_alive) return self->Close();
                       self->WaitForRequest();
                     });
}

void Session::Refuse(int status, absl::string_view message) {
  core_->Refused(status);
  HttpResponse response;
  response.status = status;
  response.body = ErrorBody(status, message);
  refusing_ = true;
  Write(std::move(response), /*keep_alive=*/false);
}

void Session::Linger() {
  // Closing with the client's bytes unread makes the kernel reset the
  // connection, and the client may lose the answer it has not read yet.
  // So: stop sending, read and drop what still comes for a moment, then
  // close.
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.expires_after(std::chrono::seconds(2));
  auto scratch = std::make_shared<std::array<char, 4096>>();
  stream_.async_read_some(
      asio::buffer(*scratch),
      [self = shared_from_this(), scratch](beast::error_code read_ec, size_t) {
        if (read_ec || ++self->lingered_ > 256) return self->Close();
        self->Linger();
      });
}

void Session::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
  core_->Unregister(id_);
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, HttpHandler handler) {
  auto server = std::make_unique<Core>(options, std::move(handler));
  absl::Status status = server->Listen();
  if (!status.ok()) return status;
  return server;
}

}  // namespace training::gateway::http

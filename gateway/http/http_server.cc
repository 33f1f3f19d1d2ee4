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
#include "gateway/http/session.h"

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

using internal::Session;
using internal::SessionHost;
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// What outlives the server for a Responder called late: it posts only
// while the I/O context still runs.
struct Mailbox {
  std::mutex mu;
  bool open = true;
};

class Core final : public HttpServer, public SessionHost {
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
    // One I/O context per thread, each connection on one of them: with
    // threads sharing one context, every completion woke another thread
    // (a quarter of the listener's time went to those wake-ups).
    for (int i = 1; i < std::max(1, options_.threads); ++i) {
      workers_.push_back(std::make_unique<asio::io_context>(1));
      worker_guards_.push_back(asio::make_work_guard(*workers_.back()));
    }
    Accept();
    threads_.emplace_back([this] { io_.run(); });
    for (auto& worker : workers_) {
      threads_.emplace_back([context = worker.get()] { context->run(); });
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
    for (auto& worker : workers_) worker->stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    // The posted close may not have run before the stop: with no thread
    // left, closing here is safe, and the port stops accepting now.
    beast::error_code ec;
    acceptor_.close(ec);
  }

  const HttpServerOptions& options() const override { return options_; }
  void Refused(int status) override {
    if (options_.on_refused) options_.on_refused(status);
  }
  bool draining() const override { return draining_.load(); }

  void Register(uint64_t id, std::weak_ptr<Session> session) override {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_[id] = std::move(session);
  }
  void Unregister(uint64_t id) override {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_.erase(id);
  }

  // Hands a request to the handler with a Responder that posts the answer
  // back to the session's I/O thread (once), or writes it at once when it is
  // given on that thread (an answer the gateway makes itself, /healthz):
  // a post would wake another I/O thread for nothing.
  void Dispatch(HttpRequest request, std::shared_ptr<Session> session,
                std::function<void(HttpResponse)> write,
                const internal::Executor& executor) override {
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    auto called = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<Mailbox> mailbox = mailbox_;
    Responder respond = [mailbox, executor, session, write = std::move(write),
                         called](HttpResponse response) mutable {
      if (called->exchange(true)) return;
      // The mailbox first: once it is shut, the contexts may be gone, and
      // even asking whether this thread runs one would read freed memory.
      std::unique_lock<std::mutex> lock(mailbox->mu);
      if (!mailbox->open) return;
      if (executor.running_in_this_thread()) {
        lock.unlock();  // Stop joins this thread before the context goes
        write(std::move(response));
        return;
      }
      asio::post(executor, [write, response = std::move(response)]() mutable {
        write(std::move(response));
      });
    };
    handler_(std::move(request), std::move(respond));
  }
  void Finished() override {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  // The context the next connection is served on, in turn.
  asio::io_context& NextContext() {
    const size_t n = workers_.size() + 1;
    const size_t i = next_context_++ % n;
    return i == 0 ? io_ : *workers_[i - 1];
  }

  void Accept() {
    acceptor_.async_accept(
        NextContext(), [this](beast::error_code ec, internal::Socket socket) {
          if (!acceptor_.is_open() || draining_.load()) return;
          if (!ec) {
            accept_backoff_ = std::chrono::milliseconds(0);
            auto session =
                std::make_shared<Session>(std::move(socket), this, next_id_++);
            // Everything of a session happens on its own thread, its
            // start included (a drain may close it from there at once).
            asio::post(session->executor(), [session] { session->Start(); });
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
  // The other threads' contexts (io_ is the first thread's and the
  // acceptor's), each kept running while idle. Declared before io_, so
  // destroyed after it: the accept still queued in io_ at the end holds a
  // socket of the context it would have served.
  std::vector<std::unique_ptr<asio::io_context>> workers_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>>
      worker_guards_;
  asio::io_context io_{1};
  // Keeps the I/O threads running while no socket operation is pending (a
  // drain's last request waiting for its backend, say).
  asio::executor_work_guard<asio::io_context::executor_type> work_ =
      asio::make_work_guard(io_);
  size_t next_context_ = 0;  // on the accept strand only
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

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, HttpHandler handler) {
  auto server = std::make_unique<Core>(options, std::move(handler));
  absl::Status status = server->Listen();
  if (!status.ok()) return status;
  return server;
}

}  // namespace training::gateway::http

#ifndef TRAINING_GATEWAY_HTTP_SESSION_H_
#define TRAINING_GATEWAY_HTTP_SESSION_H_

// One HTTP connection of the server (http_server.h): reads requests within
// the limits and timeouts, hands each to the server, writes the answers
// (gzipped when asked), refuses what it must with a status, and closes.
// Everything happens on the connection's I/O thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // Before Boost.Asio: GCC 12 + C++20 needs it (TRAPS.md).

#include "absl/strings/string_view.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gateway/http/http_server.h"

namespace training::gateway::http::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
// A connection lives on one I/O context, run by one thread: its handlers
// never run at once, with no strand, and a concrete executor spares
// Beast's type-erased one (a tenth of the listener's time).
using Executor = asio::io_context::executor_type;
using Stream = beast::basic_stream<tcp, Executor>;
using Socket = Stream::socket_type;

class Session;

// What a connection needs of the server that accepted it.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual const HttpServerOptions& options() const = 0;
  virtual bool draining() const = 0;
  virtual void Register(uint64_t id, std::weak_ptr<Session> session) = 0;
  virtual void Unregister(uint64_t id) = 0;
  // Hands a request to the handler; `write` sends the answer, on
  // `executor` (the connection's I/O thread), once.
  virtual void Dispatch(HttpRequest request, std::shared_ptr<Session> session,
                        std::function<void(HttpResponse)> write,
                        const Executor& executor) = 0;
  // A dispatched request's answer is being written.
  virtual void Finished() = 0;
  // The connection refused a request itself, with `status`.
  virtual void Refused(int status) = 0;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, SessionHost* host, uint64_t id);
  ~Session();

  // On the connection's thread (post it there).
  void Start();
  Executor executor() { return stream_.get_executor(); }
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

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  SessionHost* core_;
  uint64_t id_;
  std::string peer_address_;
  State state_ = State::kIdle;
  bool accepts_gzip_ = false;
  bool head_ = false;      // the request in hand is a HEAD
  bool refusing_ = false;  // the answer being written refuses the request
  bool lingering_ = false;
  size_t lingered_bytes_ = 0;
};

}  // namespace training::gateway::http::internal

#endif  // TRAINING_GATEWAY_HTTP_SESSION_H_

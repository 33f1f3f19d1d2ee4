#include "gateway/http/session.h"

#include <array>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gateway/http/gzip.h"

namespace training::gateway::http::internal {
namespace {

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

}  // namespace

Session::Session(Socket socket, SessionHost* host, uint64_t id)
    : stream_(std::move(socket)), core_(host), id_(id) {
  beast::error_code ec;
  const tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    const asio::ip::address address = peer.address();
    // An IPv4 peer on a dual-stack socket is written as IPv4.
    peer_address_ =
        address.is_v6() && address.to_v6().is_v4_mapped()
            ? asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6())
                  .to_string()
            : address.to_string();
  }
}

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
  // Nothing of the previous request on this connection carries over: a
  // refusal of this one is a full answer, plain.
  head_ = false;
  accepts_gzip_ = false;
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
  // body for the next request), and a coding before chunked (gzip) would
  // not be undone here: only a single `chunked` is taken; anything else is
  // refused and the connection closed rather than be smuggled past.
  const auto codings = header.equal_range(bhttp::field::transfer_encoding);
  const auto coding_fields = std::distance(codings.first, codings.second);
  if (coding_fields > 0 &&
      (coding_fields > 1 || !parser_->chunked() ||
       !absl::EqualsIgnoreCase(
           absl::StripAsciiWhitespace(absl::string_view(
               codings.first->value().data(), codings.first->value().size())),
           "chunked"))) {
    return Refuse(400, "transfer-encoding: only chunked is accepted");
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
  request.peer_address = peer_address_;
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
  if (!out.content_type.empty()) {
    response->set(bhttp::field::content_type, out.content_type);
  }
  bool cache_control = false;
  std::string vary;  // every Vary the handler gave, as one field
  for (auto& [name, value] : out.headers) {
    if (absl::EqualsIgnoreCase(name, "vary")) {
      vary = vary.empty() ? value : vary + ", " + value;
      continue;
    }
    cache_control =
        cache_control || absl::EqualsIgnoreCase(name, "cache-control");
    response->insert(name, value);
  }
  if (!cache_control) response->set(bhttp::field::cache_control, "no-store");
  response->set("X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : core_->options().common_headers) {
    response->set(name, value);
  }
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
  if (out.status == 304) {
    // No body, and no Content-Length but the 200's (RFC 9110 §8.6): none.
  } else if (head_) {
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
  // So: stop sending, then read and drop what still comes (a refused body)
  // for at most 2 s and 16 MiB in all, then close.
  if (!lingering_) {
    lingering_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));  // once, for the whole
  }
  auto scratch = std::make_shared<std::array<char, 16384>>();
  stream_.async_read_some(
      asio::buffer(*scratch), [self = shared_from_this(), scratch](
                                  beast::error_code read_ec, size_t n) {
        self->lingered_bytes_ += n;
        if (read_ec || self->lingered_bytes_ > (16u << 20)) {
          return self->Close();
        }
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

}  // namespace training::gateway::http::internal

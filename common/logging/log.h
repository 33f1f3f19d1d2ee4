#ifndef TRAINING_COMMON_LOGGING_LOG_H_
#define TRAINING_COMMON_LOGGING_LOG_H_

// One-line JSON logs that make personal data hard to log by accident.
//
//   log::Info("booking.confirmed", {{"booking", log::Id(name)},
//                                   {"batch_size", 12}});
//
// * The message and every key must be string literals (checked at compile
//   time), so nothing read at run time becomes a message or a key.
// * Values are numbers, booleans, durations, status codes, or log::Id(...):
//   an identifier (resource name, request id, method) that is checked at run
//   time and replaced by "[not-an-id]" when it looks like free text or an
//   e-mail address. A plain string does not convert to a value.
// * log::Redacted(...) marks a personal value: only "[redacted]" is written.
// * log::ScrubbedText(...) is for text from outside (gRPC's own log lines,
//   database errors): e-mail addresses, bearer credentials and quoted key
//   values and anything shaped like a credential are masked.
//
// Every line carries time, level, service, message and, when the thread is
// handling a call, its request_id and trace_id (see ScopedLogContext).
// Thread-safe.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace training::log {

enum class Level { kDebug, kInfo, kWarning, kError };

// A string literal, checked at compile time.
class Literal {
 public:
  template <size_t N>
  consteval Literal(const char (&text)[N]) : text_(text, N - 1) {}
  absl::string_view view() const { return text_; }

 private:
  absl::string_view text_;
};

// A value that is safe to log.
class Value {
 public:
  // Only a real bool: a pointer must not turn into `true`.
  template <typename T, typename = std::enable_if_t<std::is_same_v<T, bool>>>
  Value(T v) : v_(v) {}
  Value(int v) : v_(static_cast<int64_t>(v)) {}
  Value(long v) : v_(static_cast<int64_t>(v)) {}
  Value(long long v) : v_(static_cast<int64_t>(v)) {}
  Value(unsigned v) : v_(static_cast<int64_t>(v)) {}
  Value(unsigned long v) : v_(static_cast<int64_t>(v)) {}
  Value(unsigned long long v) : v_(static_cast<int64_t>(v)) {}
  Value(double v) : v_(v) {}
  Value(absl::Duration d) : v_(absl::ToDoubleMilliseconds(d)) {}
  Value(absl::StatusCode code) : v_(absl::StatusCodeToString(code)) {}
  Value(Literal text) : v_(std::string(text.view())) {}
  // A string literal (`{"mode", "sqlite"}`): fixed text, not run-time data.
  template <size_t N>
  Value(const char (&text)[N]) : v_(std::string(text, N - 1)) {}
  // No conversion from run-time strings: use Id(), Redacted() or
  // ScrubbedText().
  Value(const std::string&) = delete;
  Value(absl::string_view) = delete;
  Value(std::string_view) = delete;

  // Renders as a JSON value.
  std::string ToJson() const;

 private:
  friend Value Id(absl::string_view);
  friend Value Redacted(absl::string_view);
  friend Value ScrubbedText(absl::string_view);
  struct Text {
    std::string text;
  };
  explicit Value(Text t) : v_(std::move(t.text)) {}

  std::variant<bool, int64_t, double, std::string> v_;
};

// An identifier: 1 to 200 characters of letters, digits and `._:/-+=`
// with no `@`. Anything else is logged as "[not-an-id]".
Value Id(absl::string_view id);
// A personal or secret value: logged as "[redacted]".
Value Redacted(absl::string_view value);
// Text from outside the suite, with e-mail addresses, bearer credentials and
// `(key)=(value)` details masked; at most 1,000 characters.
Value ScrubbedText(absl::string_view text);
// The scrubbing ScrubbedText applies, exposed for tests.
std::string Scrub(absl::string_view text);
// Whether `text` holds something shaped like a credential, whatever it is
// called: a run of 43 or more URL-safe base64 characters with both upper-
// and lower-case letters (every 256-bit secret the suite issues: manage
// tokens, API keys, token secrets), or a `trk_`/`tmt_` prefixed one. Id()
// and request ids refuse such text; ScrubbedText masks it.
bool LooksLikeCredential(absl::string_view text);

// One key/value pair of a log line.
struct Field {
  Literal key;
  Value value;
};

void Write(Level level, Literal message, std::initializer_list<Field> fields);
inline void Debug(Literal m, std::initializer_list<Field> f = {}) {
  Write(Level::kDebug, m, f);
}
inline void Info(Literal m, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, m, f);
}
inline void Warning(Literal m, std::initializer_list<Field> f = {}) {
  Write(Level::kWarning, m, f);
}
inline void Error(Literal m, std::initializer_list<Field> f = {}) {
  Write(Level::kError, m, f);
}

// Process-wide settings: the service name on every line and the lowest level
// written. Call once at start.
void Configure(absl::string_view service, Level min_level);

// Whether a line at `level` would be written: lets a caller skip building
// the fields of a line that would be dropped.
bool Enabled(Level level);
// Parses "debug", "info", "warning", "error".
bool ParseLevel(absl::string_view text, Level* level);

// While alive, log lines from this thread carry the call's request id and
// trace id. Nests.
class ScopedLogContext {
 public:
  ScopedLogContext(absl::string_view request_id, absl::string_view trace_id);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  std::string previous_request_id_;
  std::string previous_trace_id_;
};

// Sends gRPC's own log lines through this logger (scrubbed).
void RouteGrpcLogs();

// Replaces the output (stderr by default) for tests; pass nullptr to
// restore.
void SetSinkForTest(std::function<void(absl::string_view line)> sink);

}  // namespace training::log

#endif  // TRAINING_COMMON_LOGGING_LOG_H_

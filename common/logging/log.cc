#include "common/logging/log.h"

#include <atomic>
#include <cstdio>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpc/support/log.h"

namespace training::log {
namespace {

struct State {
  absl::Mutex mu;
  std::string service ABSL_GUARDED_BY(mu) = "training";
  // Read on every call, from every thread, without the mutex.
  std::atomic<Level> min_level = Level::kInfo;
  std::function<void(absl::string_view)> sink ABSL_GUARDED_BY(mu);
};

State& GetState() {
  static State* state = new State;
  return *state;
}

thread_local std::string current_request_id;
thread_local std::string current_trace_id;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

void AppendJsonString(std::string* out, absl::string_view text) {
  out->push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppend(out, "\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

bool IsIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '_' || c == ':' || c == '/' || c == '-' || c == '+' || c == '=' ||
         c == '{' || c == '}' || c == '*';  // path templates
}

}  // namespace

std::string Value::ToJson() const {
  std::string out;
  if (const bool* b = std::get_if<bool>(&v_)) return *b ? "true" : "false";
  if (const int64_t* i = std::get_if<int64_t>(&v_)) return absl::StrCat(*i);
  if (const double* d = std::get_if<double>(&v_)) return absl::StrCat(*d);
  AppendJsonString(&out, std::get<std::string>(v_));
  return out;
}

namespace {

bool IsBase64UrlChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-';
}

// A 256-bit secret in URL-safe base64 is 43 characters; a random one
// without both upper- and lower-case letters turns up about twice in 10^10,
// while slugs, hex and UUIDs never have both.
constexpr size_t kSecretRun = 43;

bool IsSecretRun(absl::string_view run) {
  if (run.size() < kSecretRun) return false;
  bool upper = false, lower = false;
  for (char c : run) {
    upper |= absl::ascii_isupper(static_cast<unsigned char>(c));
    lower |= absl::ascii_islower(static_cast<unsigned char>(c));
  }
  return upper && lower;
}

// Calls `found(begin, end)` for each credential-shaped run of `text`.
template <typename Found>
void ForEachCredential(absl::string_view text, Found found) {
  for (size_t i = 0; i < text.size();) {
    if (!IsBase64UrlChar(text[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && IsBase64UrlChar(text[end])) ++end;
    const absl::string_view run = text.substr(i, end - i);
    if (IsSecretRun(run) || run.substr(0, 4) == "trk_" ||
        run.substr(0, 4) == "tmt_") {
      found(i, end);
    }
    i = end;
  }
}

}  // namespace

bool LooksLikeCredential(absl::string_view text) {
  bool any = false;
  ForEachCredential(text, [&](size_t, size_t) { any = true; });
  return any;
}

Value Id(absl::string_view id) {
  bool ok = !id.empty() && id.size() <= 200 && !LooksLikeCredential(id);
  for (char c : id) ok = ok && IsIdChar(c);
  return Value(Value::Text{ok ? std::string(id) : "[not-an-id]"});
}

Value Redacted(absl::string_view) { return Value(Value::Text{"[redacted]"}); }

std::string Scrub(absl::string_view text) {
  static const std::regex* email =
      new std::regex(R"re([^\s<>()"',;:]+@[^\s<>()"',;:]+)re");
  static const std::regex* bearer = new std::regex(
      R"re((bearer|authorization)(\s*[:=]?\s*)\S+)re", std::regex::icase);
  // PostgreSQL details: "Key (email)=(someone@x) already exists."
  static const std::regex* key_value = new std::regex(R"re(\)=\([^)]*\))re");
  // Credentials first, by shape, on the whole text: cutting to 1,000
  // characters first could leave the tail of one too short to recognise.
  std::string unshaped;
  size_t copied = 0;
  ForEachCredential(text, [&](size_t begin, size_t end) {
    absl::StrAppend(&unshaped, text.substr(copied, begin - copied),
                    "[redacted]");
    copied = end;
  });
  absl::StrAppend(&unshaped, text.substr(copied));
  std::string s = unshaped.substr(0, 1000);
  s = std::regex_replace(s, *email, "[email]");
  s = std::regex_replace(s, *bearer, "$1$2[redacted]");
  s = std::regex_replace(s, *key_value, ")=([redacted])");
  return s;
}

Value ScrubbedText(absl::string_view text) {
  return Value(Value::Text{Scrub(text)});
}

void Configure(absl::string_view service, Level min_level) {
  State& state = GetState();
  absl::MutexLock lock(&state.mu);
  state.service = std::string(service);
  state.min_level.store(min_level, std::memory_order_relaxed);
}

bool Enabled(Level level) {
  return level >= GetState().min_level.load(std::memory_order_relaxed);
}

bool ParseLevel(absl::string_view text, Level* level) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "debug")
    *level = Level::kDebug;
  else if (lower == "info")
    *level = Level::kInfo;
  else if (lower == "warning")
    *level = Level::kWarning;
  else if (lower == "error")
    *level = Level::kError;
  else
    return false;
  return true;
}

void Write(Level level, Literal message, std::initializer_list<Field> fields) {
  State& state = GetState();
  if (!Enabled(level)) return;
  std::string service;
  {
    absl::MutexLock lock(&state.mu);
    service = state.service;
  }
  std::string line = "{\"time\":";
  AppendJsonString(&line, absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(),
                                           absl::UTCTimeZone()));
  line.append(",\"level\":");
  AppendJsonString(&line, LevelName(level));
  line.append(",\"service\":");
  AppendJsonString(&line, service);
  line.append(",\"msg\":");
  AppendJsonString(&line, message.view());
  if (!current_request_id.empty()) {
    line.append(",\"request_id\":");
    AppendJsonString(&line, current_request_id);
  }
  if (!current_trace_id.empty()) {
    line.append(",\"trace_id\":");
    AppendJsonString(&line, current_trace_id);
  }
  for (const Field& field : fields) {
    line.push_back(',');
    AppendJsonString(&line, field.key.view());
    line.push_back(':');
    line.append(field.value.ToJson());
  }
  line.append("}\n");

  absl::MutexLock lock(&state.mu);
  if (state.sink) {
    state.sink(line);
  } else {
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }
}

ScopedLogContext::ScopedLogContext(absl::string_view request_id,
                                   absl::string_view trace_id)
    : previous_request_id_(std::move(current_request_id)),
      previous_trace_id_(std::move(current_trace_id)) {
  // Request ids come from callers: keep only identifier-shaped ones.
  bool ok = request_id.size() <= 128 && !LooksLikeCredential(request_id);
  for (char c : request_id) ok = ok && IsIdChar(c);
  current_request_id = ok ? std::string(request_id) : "[not-an-id]";
  current_trace_id = std::string(trace_id);
}

ScopedLogContext::~ScopedLogContext() {
  current_request_id = std::move(previous_request_id_);
  current_trace_id = std::move(previous_trace_id_);
}

namespace {
void GrpcLogFunction(gpr_log_func_args* args) {
  Level level = Level::kInfo;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) level = Level::kError;
  if (args->severity == GPR_LOG_SEVERITY_DEBUG) level = Level::kDebug;
  Write(level, "grpc",
        {{"text", ScrubbedText(args->message)},
         {"source", Id(args->file ? args->file : "")},
         {"line", args->line}});
}
}  // namespace

void RouteGrpcLogs() { gpr_set_log_function(GrpcLogFunction); }

void SetSinkForTest(std::function<void(absl::string_view line)> sink) {
  State& state = GetState();
  absl::MutexLock lock(&state.mu);
  state.sink = std::move(sink);
}

}  // namespace training::log

#include "gateway/web/web_http.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/auth/api_keys.h"
#include "common/random/secure_bytes.h"
#include "common/random/unique_bytes.h"
#include "common/text/text.h"

namespace training::gateway::web {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> Unescape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = HexValue(text[i + 1]);
      const int low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::optional<std::map<std::string, std::string>> DecodeForm(
    absl::string_view text, size_t max_fields) {
  std::map<std::string, std::string> fields;
  size_t count = 0;
  for (absl::string_view pair : absl::StrSplit(text, '&', absl::SkipEmpty())) {
    if (++count > max_fields) return std::nullopt;
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    std::optional<std::string> name = Unescape(kv.first);
    std::optional<std::string> value = Unescape(kv.second);
    if (!name || !value || !text::IsValidUtf8(*name) ||
        !text::IsValidUtf8(*value)) {
      return std::nullopt;
    }
    fields[*name] = *std::move(value);
  }
  return fields;
}

std::string FormValue(const std::map<std::string, std::string>& form,
                      absl::string_view name) {
  auto it = form.find(std::string(name));
  return it == form.end() ? std::string() : it->second;
}

std::string TrimmedFormValue(const std::map<std::string, std::string>& form,
                             absl::string_view name) {
  return std::string(absl::StripAsciiWhitespace(FormValue(form, name)));
}

std::string UrlEncode(absl::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

std::string CookieValue(const http::HttpRequest& request,
                        absl::string_view name) {
  for (const auto& [header, value] : request.headers) {
    if (header != "cookie") continue;
    for (absl::string_view part : absl::StrSplit(value, ';')) {
      part = absl::StripAsciiWhitespace(part);
      if (absl::StartsWith(part, name) && part.size() > name.size() &&
          part[name.size()] == '=') {
        return std::string(part.substr(name.size() + 1));
      }
    }
  }
  return "";
}

std::string CookieOptions::Name(absl::string_view base) const {
  return secure ? absl::StrCat("__Host-", base) : std::string(base);
}

std::string SetCookie(absl::string_view name, absl::string_view value,
                      const CookieOptions& options) {
  std::string out =
      absl::StrCat(name, "=", value, "; Path=/; HttpOnly; ",
                   options.lax ? "SameSite=Lax" : "SameSite=Strict");
  if (options.secure) out += "; Secure";
  if (options.max_age > absl::ZeroDuration()) {
    absl::StrAppend(&out, "; Max-Age=", absl::ToInt64Seconds(options.max_age));
  }
  return out;
}

std::string ClearCookie(absl::string_view name, const CookieOptions& options) {
  std::string out =
      absl::StrCat(name, "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  if (options.secure) out += "; Secure";
  return out;
}

http::HttpResponse SeeOther(absl::string_view location) {
  http::HttpResponse response;
  response.status = 303;
  response.content_type = "";
  response.headers = {{"Location", std::string(location)}};
  return response;
}

std::string NewUuid() {
  // Unique is what matters: a key replays a booking's answer only with the
  // same session and answers (BookingRequestId binds them). Secure bytes
  // when the system gives them, so that keys are not even predictable.
  absl::StatusOr<std::string> secure = random::SecureBytes(16);
  std::string bytes =
      secure.ok() ? *std::move(secure) : random::UniqueBytes(16);
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);
  std::string hex;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    absl::StrAppendFormat(&hex, "%02x", static_cast<unsigned char>(bytes[i]));
  }
  return hex;
}

std::string DerivedRequestId(const std::string& form_key,
                             const std::string& scope,
                             const std::map<std::string, std::string>& fields) {
  std::string material = absl::StrCat(form_key, "\n", scope);
  for (const auto& [name, value] : fields) {
    absl::StrAppend(&material, "\n", name, "=", value.size(), ":", value);
  }
  std::string hex = auth::Sha256Hex(material).substr(0, 32);
  hex[12] = '8';
  hex[16] = "89ab"[hex[16] % 4];
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-",
                      hex.substr(12, 4), "-", hex.substr(16, 4), "-",
                      hex.substr(20));
}

}  // namespace training::gateway::web

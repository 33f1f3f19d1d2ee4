#include "gateway/web/form_guard.h"

#include <openssl/crypto.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/random/secure_bytes.h"

namespace training::gateway::web {
namespace {

constexpr char kContext[] = "training.web.form_guard:";

bool PlausibleCookie(absl::string_view value) {
  if (value.size() != 43) return false;
  for (char c : value) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

FormGuard::Visitor FormGuard::VisitorOf(
    const http::HttpRequest& request) const {
  std::string cookie = CookieValue(request, cookies_.Name(kFormGuardCookie));
  if (PlausibleCookie(cookie)) return {std::move(cookie), false};
  // Should the system's generator fail, the cookie stays empty and the
  // visitor's forms are refused: never a guessable cookie.
  const std::string bytes = random::SecureBytes(32).value_or("");
  std::string fresh;
  if (!bytes.empty()) absl::WebSafeBase64Escape(bytes, &fresh);
  return {std::move(fresh), true};
}

http::HttpResponse FormGuard::WithCookie(http::HttpResponse response,
                                         const Visitor& visitor) const {
  if (visitor.is_new) {
    response.headers.emplace_back(
        "Set-Cookie",
        SetCookie(cookies_.Name(kFormGuardCookie), visitor.cookie, cookies_));
  }
  return response;
}

std::string FormGuard::Token(const Visitor& visitor,
                             absl::string_view action) const {
  return absl::StrCat(
      keys_.kid(0), ".",
      keys_.Mac(0, absl::StrCat(kContext, action), visitor.cookie));
}

bool FormGuard::Check(const http::HttpRequest& request, absl::string_view token,
                      absl::string_view action) const {
  const std::string cookie =
      CookieValue(request, cookies_.Name(kFormGuardCookie));
  if (!PlausibleCookie(cookie)) return false;
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(token, absl::MaxSplits('.', 1));
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_.kid(i) != parts.first) continue;
    const std::string expected =
        keys_.Mac(i, absl::StrCat(kContext, action), cookie);
    return expected.size() == parts.second.size() &&
           CRYPTO_memcmp(expected.data(), parts.second.data(),
                         expected.size()) == 0;
  }
  return false;
}

}  // namespace training::gateway::web

#ifndef TRAINING_GATEWAY_WEB_FORM_GUARD_H_
#define TRAINING_GATEWAY_WEB_FORM_GUARD_H_

// Cross-site request forgery protection for the pages' forms: a random
// visitor cookie (HttpOnly, SameSite=Strict) and, in each form, a hidden
// token that is an HMAC of that cookie and the form's action under the
// site's key. A POST is accepted only with both, matching: another site can
// neither read the cookie nor compute the token, and a token for one form
// does not open another. Thread-safe.

#include <string>

#include "absl/strings/string_view.h"
#include "common/auth/hmac_keys.h"
#include "gateway/http/http_server.h"
#include "gateway/web/web_http.h"

namespace training::gateway::web {

// `__Host-form_guard` when cookies are secure (CookieOptions::Name).
inline constexpr char kFormGuardCookie[] = "form_guard";
inline constexpr char kFormGuardField[] = "form_guard";

class FormGuard {
 public:
  FormGuard(auth::HmacKeys keys, CookieOptions cookies)
      : keys_(std::move(keys)), cookies_(cookies) {}

  // The visitor's cookie, or a new one to set with the page.
  struct Visitor {
    std::string cookie;
    bool is_new = false;
  };
  Visitor VisitorOf(const http::HttpRequest& request) const;

  // The page `response` holding a form, with the visitor's cookie set
  // when it is new.
  http::HttpResponse WithCookie(http::HttpResponse response,
                                const Visitor& visitor) const;

  // The hidden field's value for a form that posts to `action` (a path).
  std::string Token(const Visitor& visitor, absl::string_view action) const;

  // Whether the request carries the visitor cookie and `token` is the one
  // Token gave for it and `action`, under any configured key.
  bool Check(const http::HttpRequest& request, absl::string_view token,
             absl::string_view action) const;

 private:
  auth::HmacKeys keys_;
  CookieOptions cookies_;
};

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_FORM_GUARD_H_

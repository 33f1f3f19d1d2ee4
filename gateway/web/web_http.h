#ifndef TRAINING_GATEWAY_WEB_WEB_HTTP_H_
#define TRAINING_GATEWAY_WEB_WEB_HTTP_H_

// The small pieces of HTTP the pages need and Beast does not give: form
// and query decoding, cookies, redirects and random UUIDs. Plain functions;
// thread-safe.

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/http/http_server.h"

namespace training::gateway::web {

// `application/x-www-form-urlencoded` (a form body or a query string) as
// name → value; `+` is a space, %XX a byte; the last of repeated names
// wins. nullopt when an escape is malformed, the text holds more than
// `max_fields` fields, or a value is not UTF-8.
std::optional<std::map<std::string, std::string>> DecodeForm(
    absl::string_view text, size_t max_fields = 50);

// The value of field `name` of a decoded form; "" when absent. The trimmed
// form drops leading and trailing ASCII white space.
std::string FormValue(const std::map<std::string, std::string>& form,
                      absl::string_view name);
std::string TrimmedFormValue(const std::map<std::string, std::string>& form,
                             absl::string_view name);

// Percent-encodes a value for a URL's query or path segment.
std::string UrlEncode(absl::string_view value);

// The value of cookie `name` in the request's Cookie headers; "" when
// absent.
std::string CookieValue(const http::HttpRequest& request,
                        absl::string_view name);

struct CookieOptions {
  // Only over HTTPS, and named with the `__Host-` prefix so that no other
  // host (a sibling subdomain) can plant one.
  bool secure = true;
  // Zero: a session cookie, gone when the browser closes.
  absl::Duration max_age = absl::ZeroDuration();
  // SameSite=Lax rather than Strict: sent when a link from another site is
  // followed. Only for cookies that open nothing.
  bool lax = false;

  // The cookie's name for `base`: `__Host-base` when secure.
  std::string Name(absl::string_view base) const;
};

// A Set-Cookie value: HttpOnly, SameSite=Strict (or Lax), Path=/.
std::string SetCookie(absl::string_view name, absl::string_view value,
                      const CookieOptions& options);
// A Set-Cookie value that removes the cookie.
std::string ClearCookie(absl::string_view name, const CookieOptions& options);

// 303 See Other to `location` (a path on this site).
http::HttpResponse SeeOther(absl::string_view location);

// A random (version 4) UUID, lower case.
std::string NewUuid();

// An idempotency key for one change: the form's random `form_key` bound to
// the change's `scope` ("cancel:K7QXM4RA") and every field it sends, as a
// UUID (version 8, our own derivation from their SHA-256). The same form
// sent twice gives the same key; the same form with a field changed, or
// used for another change, a different one.
std::string DerivedRequestId(const std::string& form_key,
                             const std::string& scope,
                             const std::map<std::string, std::string>& fields);

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_WEB_HTTP_H_

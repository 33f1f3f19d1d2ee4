#include "common/auth/access.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace training::auth {
namespace {

using training::api::v1::AccessRule;
using Kind = Principal::Kind;

absl::Status Unauthenticated(absl::string_view reason, absl::string_view why) {
  return WithErrorInfo(absl::UnauthenticatedError(why), std::string(reason));
}

absl::Status Denied(absl::string_view reason, absl::string_view why) {
  return WithErrorInfo(absl::PermissionDeniedError(why), std::string(reason));
}

}  // namespace

bool Principal::HasScope(absl::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

absl::StatusOr<Principal> Authorize(
    const AccessRule& rule, std::optional<absl::string_view> authorization,
    const KeySet& keys) {
  Principal principal;
  if (authorization.has_value()) {
    absl::string_view value = absl::StripAsciiWhitespace(*authorization);
    constexpr absl::string_view kBearer = "bearer ";
    if (value.size() <= kBearer.size() ||
        !absl::StartsWithIgnoreCase(value, kBearer)) {
      return Unauthenticated("CREDENTIALS_INVALID",
                             "authorization: expected 'Bearer <credential>'");
    }
    absl::string_view credential =
        absl::StripAsciiWhitespace(value.substr(kBearer.size()));
    if (std::optional<KeyGrant> grant = keys.Lookup(credential)) {
      switch (grant->role) {
        case training::config::v1::AGENCY:
          principal.kind = Kind::kAgency;
          break;
        case training::config::v1::ADMIN:
          principal.kind = Kind::kAdmin;
          break;
        case training::config::v1::SERVICE:
          principal.kind = Kind::kService;
          break;
        default:
          return Unauthenticated("CREDENTIALS_INVALID",
                                 "authorization: unknown credential");
      }
      principal.key_name = std::move(grant->name);
      principal.organisation = std::move(grant->organisation);
      principal.scopes = std::move(grant->scopes);
      principal.service = std::move(grant->service);
    } else if (rule.audience() == training::api::v1::MANAGE_TOKEN ||
               (rule.audience() == training::api::v1::PUBLIC &&
                rule.accept_unknown_bearer())) {
      principal.kind = Kind::kManageToken;
      principal.manage_token = std::string(credential);
    } else {
      return Unauthenticated("CREDENTIALS_INVALID",
                             "authorization: unknown credential");
    }
  }

  const bool anonymous = principal.kind == Kind::kAnonymous;
  switch (rule.audience()) {
    case training::api::v1::PUBLIC:
      return principal;
    case training::api::v1::MANAGE_TOKEN:
      if (principal.kind == Kind::kManageToken ||
          principal.kind == Kind::kAdmin) {
        return principal;
      }
      break;
    case training::api::v1::AGENCY:
      if (principal.kind == Kind::kAdmin) return principal;
      if (principal.kind == Kind::kAgency) {
        if (principal.HasScope(rule.scope())) return principal;
        return Denied(
            "SCOPE_MISSING",
            absl::StrCat("this call needs the scope '", rule.scope(), "'"));
      }
      break;
    case training::api::v1::ADMIN:
      if (principal.kind == Kind::kAdmin) return principal;
      break;
    case training::api::v1::INTERNAL:
      if (principal.kind == Kind::kService &&
          std::find(rule.callers().begin(), rule.callers().end(),
                    principal.service) != rule.callers().end()) {
        return principal;
      }
      break;
    default:
      return Denied("ACCESS_DENIED", "this call declares no access rule");
  }
  if (anonymous) {
    return Unauthenticated("CREDENTIALS_MISSING",
                           "this call needs credentials: authorization: "
                           "Bearer <credential>");
  }
  return Denied("ACCESS_DENIED", "these credentials may not make this call");
}

}  // namespace training::auth

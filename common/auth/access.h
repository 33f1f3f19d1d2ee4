#ifndef TRAINING_COMMON_AUTH_ACCESS_H_
#define TRAINING_COMMON_AUTH_ACCESS_H_

// Who is calling, and whether they may: the check every service runs before
// a handler, from the RPC's declared (training.api.v1.access) rule and the
// `authorization` metadata (`Bearer <credential>`).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/api_keys.h"
#include "training/api/v1/access.pb.h"

namespace training::auth {

// The caller of one RPC, as handed to its handler.
struct Principal {
  enum class Kind {
    kAnonymous,    // no credentials
    kAgency,       // an agency API key
    kAdmin,        // an admin API key
    kService,      // another service's key
    kManageToken,  // a bearer credential that is no key: a booking's manage
                   // token, to be checked by the handler against the booking
  };
  Kind kind = Kind::kAnonymous;
  // The key's name (for audit); empty for anonymous and manage tokens.
  std::string key_name;
  // For agency keys: the organisation the key acts for.
  std::string organisation;
  // For agency keys: the scopes held.
  std::vector<std::string> scopes;
  // For service keys: which service of the suite holds the key.
  std::string service;
  // For kManageToken: the presented token.
  std::string manage_token;

  bool HasScope(absl::string_view scope) const;
};

// Decides the principal from the `authorization` value (nullopt when absent)
// and checks it against `rule`:
//   UNAUTHENTICATED: credentials needed but absent, malformed, or unknown
//                    (a non-key bearer is accepted only by MANAGE_TOKEN RPCs
//                    and PUBLIC ones with `accept_unknown_bearer`);
//   PERMISSION_DENIED: valid credentials of the wrong kind or scope, a
//                    service key of a service the rule's `callers` do not
//                    name, or an RPC whose rule is undeclared (fail closed).
// Every status carries an ErrorInfo reason (CREDENTIALS_MISSING,
// CREDENTIALS_INVALID, ACCESS_DENIED, SCOPE_MISSING).
absl::StatusOr<Principal> Authorize(
    const training::api::v1::AccessRule& rule,
    std::optional<absl::string_view> authorization, const KeySet& keys);

}  // namespace training::auth

#endif  // TRAINING_COMMON_AUTH_ACCESS_H_

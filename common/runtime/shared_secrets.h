#ifndef TRAINING_COMMON_RUNTIME_SHARED_SECRETS_H_
#define TRAINING_COMMON_RUNTIME_SHARED_SECRETS_H_

// Secret lists every replica (and, for the address-hash key, every service)
// must share, from their flag; for a local run on SQLite, one made once and
// kept in the data directory (mode 0600) so that what it signs survives
// restarts. Replicas on PostgreSQL must be given the list: each making its
// own would refuse what the others signed.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/runtime/server_runner.h"

namespace training::runtime {

// The spec given, or the data directory's file `file` (made when missing,
// with an HmacKeys spec of kid `local`). FAILED_PRECONDITION naming `flag`
// when none was given on PostgreSQL.
absl::StatusOr<std::string> SharedSecretSpec(const ServerOptions& options,
                                             const std::string& given,
                                             const std::string& flag,
                                             const std::string& file);

// The list parsed by `parse` (ManageTokens::Parse, HmacKeys::Parse), its
// errors naming `flag` (never a secret).
template <typename Keys>
absl::StatusOr<std::shared_ptr<Keys>> LoadSharedSecrets(
    const ServerOptions& options, const std::string& given, const char* flag,
    const char* file, absl::StatusOr<Keys> (*parse)(absl::string_view)) {
  absl::StatusOr<std::string> spec =
      SharedSecretSpec(options, given, flag, file);
  if (!spec.ok()) return spec.status();
  absl::StatusOr<Keys> keys = parse(*spec);
  if (!keys.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", keys.status().message()));
  }
  return std::make_shared<Keys>(*std::move(keys));
}

}  // namespace training::runtime

#endif  // TRAINING_COMMON_RUNTIME_SHARED_SECRETS_H_

#include "common/runtime/shared_secrets.h"

#include "absl/strings/match.h"
#include "common/auth/hmac_keys.h"
#include "common/config/secret_file.h"
#include "common/status_macros.h"

namespace training::runtime {

absl::StatusOr<std::string> SharedSecretSpec(const ServerOptions& options,
                                             const std::string& given,
                                             const std::string& flag,
                                             const std::string& file) {
  if (!given.empty()) return given;
  if (!absl::StartsWith(options.database_url, "sqlite://")) {
    return absl::FailedPreconditionError(
        absl::StrCat(flag,
                     " is required with a PostgreSQL --database_url: every "
                     "replica must use the same secrets"));
  }
  RETURN_IF_ERROR(PrepareDataDir(options));
  return config::ReadOrCreateSecretFile(
      options.data_dir + "/" + file, flag,
      [] { return auth::HmacKeys::NewSpec("local"); });
}

}  // namespace training::runtime

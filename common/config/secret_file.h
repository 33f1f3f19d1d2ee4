#ifndef TRAINING_COMMON_CONFIG_SECRET_FILE_H_
#define TRAINING_COMMON_CONFIG_SECRET_FILE_H_

// A secret a service makes for itself when it was given none (a local run):
// made once, kept in a file only its owner may read, and read back on every
// start, so that what it signs survives restarts. A secret that cannot be
// kept is an error: one that changed on every restart would void whatever
// it signed.

#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace training::config {

// The first line of the file at `path`; when the file does not exist, a new
// secret from `make`, written to a temporary file (mode 0600), flushed to
// disk, renamed into place and read back. FAILED_PRECONDITION naming
// `what` (never the secret) when the file cannot be read, written or is
// empty; `make`'s error when it fails.
absl::StatusOr<std::string> ReadOrCreateSecretFile(
    const std::string& path, const std::string& what,
    const std::function<absl::StatusOr<std::string>()>& make);

}  // namespace training::config

#endif  // TRAINING_COMMON_CONFIG_SECRET_FILE_H_

#ifndef TRAINING_COMMON_CONFIG_FLAGS_H_
#define TRAINING_COMMON_CONFIG_FLAGS_H_

// Configuration by flags with environment-variable fallbacks, under one rule:
// flag `--booking_db` falls back to `TRAINING_BOOKING_DB` (prefix
// `TRAINING_`, flag name upper-cased). A flag given on the command line wins
// over the environment; the environment wins over the default.
//
// Unlike absl::ParseCommandLine (which exits 1), a bad flag or value, from
// either source, prints one line naming it and exits 2.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace training::config {

// `TRAINING_` + upper-cased flag name.
std::string EnvNameForFlag(absl::string_view flag_name);

// Looks up an environment variable; injectable for tests.
using EnvLookup = std::function<std::optional<std::string>(absl::string_view)>;
EnvLookup ProcessEnvironment();

// Sets flags from the environment, then from `args` (argv without argv[0]):
// `--name=value`, `--name value`, `--bool_flag`, `--nobool_flag`.
// INVALID_ARGUMENT naming the flag (or variable) for an unknown flag, a
// value that does not parse, or a positional argument. Sets *help when
// `--help` is given.
absl::Status ParseFlags(const std::vector<std::string>& args,
                        const EnvLookup& env, bool* help);

// ParseFlags on the real argv and environment; on error prints
// "<program>: <message>" to stderr and exits 2; on --help prints `usage`
// and the flags of this program, in name order, each with the default this
// binary really uses (its values before parsing, so a default a binary
// sets for itself shows; `""` when empty), and exits 0.
void ParseFlagsOrExit(int argc, char** argv, absl::string_view usage);

// For start-up validation beyond parsing: when `status` is not OK, prints it
// and exits 2.
void ExitIfInvalid(const absl::Status& status);

// `url` without credentials or parameters, for a log line saying where a
// process connects: `scheme://host:port/path` (`user:password@` and `?…`
// dropped).
std::string EndpointOf(absl::string_view url);

// Checks a TCP port flag: 0 (pick a free one) to 65535.
absl::Status ValidatePort(absl::string_view flag_name, int port);

}  // namespace training::config

#endif  // TRAINING_COMMON_CONFIG_FLAGS_H_

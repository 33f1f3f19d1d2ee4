#include "common/config/flags.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace training::config {
namespace {

// Abseil's own flags (--flagfile and friends) take no environment fallback.
bool IsOwnFlag(const absl::CommandLineFlag& flag) {
  return !absl::StrContains(flag.Filename(), "absl/");
}

absl::Status SetFlag(absl::string_view name, absl::string_view value,
                     absl::string_view source) {
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  if (flag == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
  }
  std::string error;
  if (!flag->ParseFrom(value, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value for ", source, ": ", error));
  }
  return absl::OkStatus();
}

}  // namespace

std::string EnvNameForFlag(absl::string_view flag_name) {
  return absl::StrCat("TRAINING_", absl::AsciiStrToUpper(flag_name));
}

EnvLookup ProcessEnvironment() {
  return [](absl::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::Status ParseFlags(const std::vector<std::string>& args,
                        const EnvLookup& env, bool* help) {
  *help = false;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!IsOwnFlag(*flag)) continue;
    const std::string env_name = EnvNameForFlag(name);
    std::optional<std::string> value = env(env_name);
    if (!value.has_value()) continue;
    absl::Status status =
        SetFlag(name, *value, absl::StrCat(env_name, " (--", name, ")"));
    if (!status.ok()) return status;
  }

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--") || arg.size() == 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "'"));
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && !value.has_value() && absl::StartsWith(name, "no")) {
      absl::CommandLineFlag* negated =
          absl::FindCommandLineFlag(name.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>()) {
        flag = negated;
        name = name.substr(2);
        value = "false";
      }
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!value.has_value()) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", name, " needs a value"));
      }
    }
    absl::Status status = SetFlag(name, *value, absl::StrCat("--", name));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

void ParseFlagsOrExit(int argc, char** argv, absl::string_view usage) {
  // The defaults as this binary has them: a binary may set its own before
  // parsing (a service's port), which the flag's declaration cannot know.
  std::map<std::string, std::string> defaults;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (IsOwnFlag(*flag)) defaults[std::string(name)] = flag->CurrentValue();
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  bool help = false;
  absl::Status status = ParseFlags(args, ProcessEnvironment(), &help);
  if (help) {
    std::cout << usage << "\n\nFlags (each also read from TRAINING_<NAME>):\n";
    for (const auto& [name, value] : defaults) {
      std::cout << "  --" << name << " (" << EnvNameForFlag(name)
                << ")  default " << (value.empty() ? "\"\"" : value)
                << "\n      " << absl::FindCommandLineFlag(name)->Help()
                << "\n";
    }
    std::exit(0);
  }
  if (!status.ok()) {
    std::cerr << (argc > 0 ? argv[0] : "training") << ": " << status.message()
              << "\n";
    std::exit(2);
  }
}

void ExitIfInvalid(const absl::Status& status) {
  if (status.ok()) return;
  std::cerr << "configuration error: " << status.message() << "\n";
  std::exit(2);
}

std::string EndpointOf(absl::string_view url) {
  const size_t scheme = url.find("://");
  const size_t authority = scheme == absl::string_view::npos ? 0 : scheme + 3;
  std::string endpoint(url);
  // Credentials end at the last `@`: a `?` or `/` inside a malformed
  // password must not end them early and let part of it through.
  const size_t at = endpoint.rfind('@');
  if (at != std::string::npos && at >= authority) {
    endpoint.erase(authority, at + 1 - authority);
  }
  return endpoint.substr(0, endpoint.find('?'));
}

absl::Status ValidatePort(absl::string_view flag_name, int port) {
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag_name, " (", EnvNameForFlag(flag_name),
                     "): must be a TCP port from 0 to 65535"));
  }
  return absl::OkStatus();
}

}  // namespace training::config

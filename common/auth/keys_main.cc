// training_keys: makes API keys and key files.
//
//   training_keys new <name> <agency|admin> [organisation] [scope,...]
//   training_keys new <name> service <catalogue|booking|notification|...>
//       prints the new key on the first line and its key-file entry (JSON)
//       on the second; only the entry goes into the key file.
//   training_keys demo <file>
//       writes a key file for local running (an admin key, an agency key and
//       one service key per service), readable by its owner only, and
//       prints "<who> <key>" lines.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/auth/api_keys.h"
#include "common/auth/service_names.h"
#include "google/protobuf/util/json_util.h"

namespace {

using training::auth::GenerateKey;
using training::auth::Sha256Hex;
using training::config::v1::ApiKey;
using training::config::v1::ApiKeyFile;
using training::config::v1::KeyRole;

ApiKey Entry(const std::string& name, KeyRole role, const std::string& key,
             const std::string& organisation = "",
             const std::vector<std::string>& scopes = {}) {
  ApiKey entry;
  entry.set_name(name);
  entry.set_sha256(Sha256Hex(key));
  entry.set_role(role);
  if (role == training::config::v1::SERVICE) {
    entry.set_service(organisation);  // the third argument names the service
  } else {
    entry.set_organisation(organisation);
  }
  for (const auto& s : scopes) entry.add_scopes(s);
  return entry;
}

// Writes `text` to a new file at `path` that only its owner can read: the
// demo file names admin and service keys' hashes, and a file left readable
// teaches the wrong habit.
bool WriteOwnerOnly(const std::string& path, const std::string& text) {
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = fchmod(fd, 0600) == 0;  // an existing file keeps its mode
  for (size_t done = 0; ok && done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  return close(fd) == 0 && ok;
}

constexpr char kUsage[] =
    "usage: training_keys new <name> <agency|admin> [organisation] "
    "[scope,...]\n"
    "       training_keys new <name> service "
    "<catalogue|booking|notification|content|gateway>\n"
    "       training_keys demo <file>\n";

int Usage() {
  std::cerr << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  if (args.size() >= 3 && args[0] == "new") {
    KeyRole role;
    if (args[2] == "agency") {
      role = training::config::v1::AGENCY;
    } else if (args[2] == "admin") {
      role = training::config::v1::ADMIN;
    } else if (args[2] == "service" && args.size() == 4 &&
               training::auth::IsServiceName(args[3])) {
      role = training::config::v1::SERVICE;
    } else {
      return Usage();
    }
    std::vector<std::string> scopes;
    if (args.size() >= 5)
      scopes = absl::StrSplit(args[4], ',', absl::SkipEmpty());
    const absl::StatusOr<std::string> made = GenerateKey();
    if (!made.ok()) {
      std::cerr << "training_keys: " << made.status().message() << "\n";
      return 1;
    }
    const std::string& key = *made;
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(
        Entry(args[1], role, key, args.size() >= 4 ? args[3] : "", scopes),
        &json);
    std::cout << key << "\n" << json << "\n";
    return 0;
  }
  if (args.size() == 2 && args[0] == "demo") {
    ApiKeyFile file;
    std::vector<std::pair<std::string, std::string>> printed;
    auto add = [&](const std::string& who, ApiKey entry,
                   const std::string& key) {
      *file.add_keys() = std::move(entry);
      printed.emplace_back(who, key);
    };
    // Every key made before anything is written: a failing generator
    // leaves no half-made file.
    std::vector<std::string> keys;
    for (size_t i = 0; i < 2 + training::auth::kServiceNames.size(); ++i) {
      absl::StatusOr<std::string> made = GenerateKey();
      if (!made.ok()) {
        std::cerr << "training_keys: " << made.status().message() << "\n";
        return 1;
      }
      keys.push_back(*std::move(made));
    }
    add("admin", Entry("demo-admin", training::config::v1::ADMIN, keys[0]),
        keys[0]);
    add("agency",
        Entry("demo-agency", training::config::v1::AGENCY, keys[1],
              "Northshire Family Services",
              {"bookings.read", "reports.read", "webhooks.manage"}),
        keys[1]);
    for (size_t i = 0; i < training::auth::kServiceNames.size(); ++i) {
      const std::string service(training::auth::kServiceNames[i]);
      add(service,
          Entry(service + "-service", training::config::v1::SERVICE,
                keys[2 + i], service),
          keys[2 + i]);
    }
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(file, &json, options);
    if (!WriteOwnerOnly(args[1], json)) {
      std::cerr << "training_keys: cannot write the key file\n";
      return 1;
    }
    for (const auto& [who, k] : printed) std::cout << who << " " << k << "\n";
    return 0;
  }
  return Usage();
}

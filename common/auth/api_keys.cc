#include "common/auth/api_keys.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth/service_names.h"
#include "common/logging/log.h"
#include "common/random/secure_bytes.h"
#include "google/protobuf/util/json_util.h"

namespace training::auth {
namespace {

using training::config::v1::ApiKeyFile;
using training::config::v1::KeyRole;

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '_' || c == '-';
}

bool IsScope(const std::string& scope) {
  if (scope.empty() || scope.size() > 63) return false;
  for (char c : scope) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) || c == '.' ||
          c == '_' || absl::ascii_isdigit(static_cast<unsigned char>(c)))) {
      return false;
    }
  }
  return true;
}

absl::Status Invalid(int index, absl::string_view rule) {
  return absl::InvalidArgumentError(
      absl::StrCat("api keys: keys[", index, "]: ", rule));
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // Fetched once: with EVP_sha256() OpenSSL 3 looks the algorithm up in
  // its provider on every call, nearly half the digest's cost for the
  // short inputs hashed per call (API keys, request fingerprints).
  static const EVP_MD* const sha256 = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  EVP_Digest(data.data(), data.size(), digest, &length, sha256, nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

absl::StatusOr<std::string> GenerateKey() {
  absl::StatusOr<std::string> bytes = random::SecureBytes(32);
  if (!bytes.ok()) return bytes.status();
  return absl::StrCat("trk_", absl::WebSafeBase64Escape(*bytes));
}

absl::StatusOr<std::shared_ptr<const KeySet>> KeySet::FromJson(
    const std::string& json) {
  ApiKeyFile file;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto parsed =
      google::protobuf::util::JsonStringToMessage(json, &file, options);
  if (!parsed.ok()) {
    // The parser's message may quote the input, which holds only hashes and
    // names; still, keep it short.
    return absl::InvalidArgumentError(
        absl::StrCat("api keys: not a valid key file: ",
                     std::string(parsed.message()).substr(0, 200)));
  }
  if (file.keys_size() > 10000) {
    return absl::InvalidArgumentError("api keys: more than 10,000 keys");
  }
  auto set = std::make_shared<KeySet>();
  std::set<std::string> names;
  for (int i = 0; i < file.keys_size(); ++i) {
    const auto& key = file.keys(i);
    bool name_ok = !key.name().empty() && key.name().size() <= 63;
    for (char c : key.name()) name_ok = name_ok && IsNameChar(c);
    if (!name_ok) return Invalid(i, "name: 1 to 63 of [A-Za-z0-9._-]");
    if (!names.insert(key.name()).second) return Invalid(i, "name: repeated");
    bool hash_ok = key.sha256().size() == 64;
    for (char c : key.sha256()) {
      hash_ok =
          hash_ok && (absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
                      (c >= 'a' && c <= 'f'));
    }
    if (!hash_ok) return Invalid(i, "sha256: 64 lower-case hex characters");
    if (key.role() == training::config::v1::KEY_ROLE_UNSPECIFIED) {
      return Invalid(i, "role: required");
    }
    if (key.role() == training::config::v1::AGENCY &&
        (key.organisation().empty() || key.organisation().size() > 200)) {
      return Invalid(i,
                     "organisation: required for an agency key, at most 200");
    }
    for (const auto& scope : key.scopes()) {
      if (!IsScope(scope)) return Invalid(i, "scopes: lower-case dotted names");
    }
    if (key.role() == training::config::v1::SERVICE &&
        !IsServiceName(key.service())) {
      return Invalid(i, absl::StrCat("service: required for a service key, "
                                     "one of ",
                                     absl::StrJoin(kServiceNames, ", ")));
    }
    if (key.role() != training::config::v1::SERVICE && !key.service().empty()) {
      return Invalid(i, "service: only a service key names a service");
    }
    KeyGrant grant{key.name(),
                   key.role(),
                   key.organisation(),
                   {key.scopes().begin(), key.scopes().end()},
                   key.service()};
    set->NoteScopes(grant);
    if (!set->by_hash_.emplace(key.sha256(), std::move(grant)).second) {
      return Invalid(i, "sha256: the same key is listed twice");
    }
  }
  return std::shared_ptr<const KeySet>(std::move(set));
}

absl::StatusOr<std::shared_ptr<const KeySet>> KeySet::Merge(
    const std::vector<std::shared_ptr<const KeySet>>& sets) {
  auto merged = std::make_shared<KeySet>();
  std::set<std::string> names;
  for (const auto& set : sets) {
    if (!set) continue;
    for (const auto& [hash, grant] : set->by_hash_) {
      if (!names.insert(grant.name).second ||
          !merged->by_hash_.emplace(hash, grant).second) {
        return absl::InvalidArgumentError(
            "api keys: a key name or key appears in both the file and the "
            "environment");
      }
      merged->NoteScopes(grant);
    }
  }
  return std::shared_ptr<const KeySet>(std::move(merged));
}

void KeySet::NoteScopes(const KeyGrant& grant) {
  if (grant.role != training::config::v1::AGENCY) return;
  auto& held = scopes_by_organisation_[grant.organisation];
  held.insert(grant.scopes.begin(), grant.scopes.end());
}

bool KeySet::OrganisationHolds(absl::string_view organisation,
                               absl::string_view scope) const {
  auto it = scopes_by_organisation_.find(organisation);
  return it != scopes_by_organisation_.end() && it->second.contains(scope);
}

std::optional<KeyGrant> KeySet::Lookup(absl::string_view presented_key) const {
  auto it = by_hash_.find(Sha256Hex(presented_key));
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::unique_ptr<KeyStore>> KeyStore::Create(
    std::string file_path, std::string inline_json) {
  std::shared_ptr<const KeySet> inline_keys;
  if (!inline_json.empty()) {
    auto parsed = KeySet::FromJson(inline_json);
    if (!parsed.ok()) return parsed.status();
    inline_keys = *std::move(parsed);
  }
  std::unique_ptr<KeyStore> store(
      new KeyStore(std::move(file_path), std::move(inline_keys)));
  auto loaded = store->LoadFile(/*force=*/true);
  if (!loaded.ok()) return loaded.status();
  return store;
}

KeyStore::KeyStore(std::string file_path,
                   std::shared_ptr<const KeySet> inline_keys)
    : file_path_(std::move(file_path)), inline_keys_(std::move(inline_keys)) {}

KeyStore::~KeyStore() {
  stop_.Notify();
  if (watcher_.joinable()) watcher_.join();
}

std::shared_ptr<const KeySet> KeyStore::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

absl::StatusOr<bool> KeyStore::Reload() { return LoadFile(/*force=*/false); }

namespace {

constexpr char kUnreadable[] =
    "api keys: --api_keys_file (TRAINING_API_KEYS_FILE) cannot be read";

// The key file's identity and content, read as one regular file; nullopt
// when it is missing, not a regular file, or fails to read.
struct KeyFileRead {
  std::string stamp;
  std::string content;
};
std::optional<KeyFileRead> ReadKeyFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  KeyFileRead read;
  read.stamp = absl::StrCat(st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, ":",
                            st.st_size, ":", st.st_ino);
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream content;
  content << in.rdbuf();
  if (in.bad()) return std::nullopt;
  read.content = content.str();
  return read;
}

}  // namespace

absl::StatusOr<bool> KeyStore::LoadFile(bool force) {
  // One load at a time, from reading the file to installing its keys: a
  // SIGHUP and the watcher racing could otherwise install an older read
  // over a newer one, bringing a revoked key back until the next poll.
  absl::MutexLock serial(&load_mu_);
  std::shared_ptr<const KeySet> from_file;
  std::string stamp;
  if (!file_path_.empty()) {
    std::optional<KeyFileRead> read = ReadKeyFile(file_path_);
    if (!read) {
      if (force) return absl::InvalidArgumentError(kUnreadable);
      // Fail closed: keys that can no longer be read may have been revoked
      // by removing them. The service runs on and refuses every key until
      // the file is back.
      absl::MutexLock lock(&mu_);
      const bool changed = current_ == nullptr || current_->size() > 0;
      current_ = std::make_shared<const KeySet>();
      file_stamp_ = "unreadable";
      if (changed) {
        log::Error("api_keys.unreadable_refusing_every_key",
                   {{"file", log::Id(file_path_)}});
      }
      return absl::FailedPreconditionError(
          absl::StrCat(kUnreadable, "; every key is refused until it can"));
    }
    stamp = std::move(read->stamp);
    {
      absl::MutexLock lock(&mu_);
      if (!force && stamp == file_stamp_) return false;
    }
    auto parsed = KeySet::FromJson(read->content);
    if (!parsed.ok()) return parsed.status();
    from_file = *std::move(parsed);
  }
  auto merged = KeySet::Merge({inline_keys_, from_file});
  if (!merged.ok()) return merged.status();
  absl::MutexLock lock(&mu_);
  current_ = *std::move(merged);
  file_stamp_ = stamp;
  return true;
}

void KeyStore::StartWatching(absl::Duration interval) {
  if (file_path_.empty() || watcher_.joinable()) return;
  watcher_ = std::thread([this, interval] {
    // A failure is logged when it starts (or changes), not at every poll.
    std::string failing;
    while (!stop_.WaitForNotificationWithTimeout(interval)) {
      auto changed = Reload();
      if (!changed.ok()) {
        if (changed.status().message() != failing) {
          failing = std::string(changed.status().message());
          log::Error("api_keys.reload_failed",
                     {{"error", log::ScrubbedText(failing)}});
        }
        continue;
      }
      failing.clear();
      if (*changed) {
        log::Info("api_keys.reloaded", {{"keys", Current()->size()}});
      }
    }
  });
}

}  // namespace training::auth

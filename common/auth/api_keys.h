#ifndef TRAINING_COMMON_AUTH_API_KEYS_H_
#define TRAINING_COMMON_AUTH_API_KEYS_H_

// API keys: loaded from a JSON file (training.config.v1.ApiKeyFile) and/or
// an inline JSON value, stored only as SHA-256 hashes, and reloaded without
// a restart when the file changes.
//
// A key is `trk_` followed by 43 URL-safe base64 characters (256 random
// bits). Presented keys are looked up by their hash, so the comparison never
// touches the secret byte by byte.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "training/config/v1/api_keys.pb.h"

namespace training::auth {

// What one key grants.
struct KeyGrant {
  std::string name;
  training::config::v1::KeyRole role;
  std::string organisation;
  std::vector<std::string> scopes;
  std::string service;  // for service keys: whose (see service_names.h)
};

// An immutable set of keys. Thread-safe.
class KeySet {
 public:
  // Parses and validates the JSON of an ApiKeyFile. INVALID_ARGUMENT naming
  // the entry and the rule when it is malformed.
  static absl::StatusOr<std::shared_ptr<const KeySet>> FromJson(
      const std::string& json);
  // The union of several sets; INVALID_ARGUMENT on a repeated name.
  static absl::StatusOr<std::shared_ptr<const KeySet>> Merge(
      const std::vector<std::shared_ptr<const KeySet>>& sets);

  // The grant of a presented key; nullopt when unknown.
  std::optional<KeyGrant> Lookup(absl::string_view presented_key) const;
  size_t size() const { return by_hash_.size(); }
  // Whether some agency key of `organisation` holds `scope` (what a
  // standing permission, such as a webhook subscription, is checked
  // against as keys are rotated or withdrawn).
  bool OrganisationHolds(absl::string_view organisation,
                         absl::string_view scope) const;

 private:
  void NoteScopes(const KeyGrant& grant);

  absl::flat_hash_map<std::string, KeyGrant> by_hash_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>>
      scopes_by_organisation_;
};

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// A new random key, `trk_` + 43 URL-safe base64 characters; INTERNAL when
// the random generator fails.
absl::StatusOr<std::string> GenerateKey();

// The current keys of a process, from a file and/or inline JSON, reloaded
// when the file's modification time or size changes (polled) or when
// Reload() is called (on SIGHUP); reloads run one at a time. A file that
// fails to parse on reload is logged and the previous keys stay in force
// (an editor's half-written file must not lock everyone out); a file that
// is gone or cannot be read fails closed: every key, inline ones too, is
// refused until it can be read again. Thread-safe.
class KeyStore {
 public:
  // `file_path` may be empty (no file); `inline_json` may be empty. A file
  // that is named but missing or invalid is INVALID_ARGUMENT.
  static absl::StatusOr<std::unique_ptr<KeyStore>> Create(
      std::string file_path, std::string inline_json);
  ~KeyStore();

  std::shared_ptr<const KeySet> Current() const;

  // Re-reads the file when it changed. Returns true when new keys took
  // effect, false when nothing changed; INVALID_ARGUMENT when the file is
  // invalid (the old keys stay); FAILED_PRECONDITION when it cannot be read
  // (no key is accepted until it can).
  absl::StatusOr<bool> Reload();

  // Polls the file every `interval` on a background thread until
  // destruction.
  void StartWatching(absl::Duration interval);

 private:
  KeyStore(std::string file_path, std::shared_ptr<const KeySet> inline_keys);
  absl::StatusOr<bool> LoadFile(bool force);

  const std::string file_path_;
  const std::shared_ptr<const KeySet> inline_keys_;
  absl::Mutex load_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // one LoadFile at a time
  mutable absl::Mutex mu_;
  std::shared_ptr<const KeySet> current_ ABSL_GUARDED_BY(mu_);
  std::string file_stamp_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread watcher_;
};

}  // namespace training::auth

#endif  // TRAINING_COMMON_AUTH_API_KEYS_H_

#include "common/auth/api_keys.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/random/secure_bytes.h"
#include "common/testing/process.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::auth {
namespace {

using ::testing::HasSubstr;
using ::training::testing::IsOk;
using ::training::testing::StatusIs;

std::string KeyFileJson(const std::string& name, const std::string& key,
                        const std::string& role = "ADMIN") {
  return absl::StrCat(
      R"({"keys":[{"name":")", name, R"(","sha256":")", Sha256Hex(key),
      R"(","role":")", role,
      R"(","organisation":"Org","scopes":["bookings.read"]}]})");
}

// Writes through a rename, as editors and config managers do.
void WriteAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp, std::ios::trunc) << content;
  std::filesystem::rename(tmp, path);
}

TEST(ApiKeysTest, GeneratedKeysAreLongRandomAndNeverLoggable) {
  const std::string a = *GenerateKey();
  const std::string b = *GenerateKey();

  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 4u + 43u);
  EXPECT_EQ(a.substr(0, 4), "trk_");
  std::string line;
  log::SetSinkForTest([&line](absl::string_view l) { line = std::string(l); });
  log::Info("key", {{"value", log::Id(a)}});
  log::SetSinkForTest(nullptr);
  EXPECT_THAT(line, ::testing::Not(HasSubstr(a)));
}

TEST(ApiKeysTest, NoKeyIsMadeWhenTheRandomGeneratorFails) {
  random::ScopedSecureBytesFailureForTest failing;

  EXPECT_THAT(GenerateKey(), StatusIs(absl::StatusCode::kInternal));
}

TEST(ApiKeysTest, LooksUpKeysByHashOnly) {
  const std::string key = *GenerateKey();
  auto set = KeySet::FromJson(KeyFileJson("portal", key, "AGENCY"));
  ASSERT_THAT(set, IsOk());

  auto grant = (*set)->Lookup(key);

  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->name, "portal");
  EXPECT_EQ(grant->organisation, "Org");
  EXPECT_EQ(grant->scopes, std::vector<std::string>{"bookings.read"});
  EXPECT_FALSE((*set)->Lookup(key + "x").has_value());
  EXPECT_FALSE((*set)->Lookup(Sha256Hex(key)).has_value());
}

TEST(ApiKeysTest, TellsWhetherAnOrganisationStillHoldsAScope) {
  const std::string a = *GenerateKey(), b = *GenerateKey(), c = *GenerateKey();
  auto set = KeySet::FromJson(absl::StrCat(
      R"({"keys":[{"name":"a","sha256":")", Sha256Hex(a),
      R"(","role":"AGENCY","organisation":"North","scopes":["bookings.read"]},)",
      R"({"name":"b","sha256":")", Sha256Hex(b),
      R"(","role":"AGENCY","organisation":"North","scopes":["webhooks.manage"]},)",
      R"({"name":"c","sha256":")", Sha256Hex(c), R"(","role":"ADMIN"}]})"));
  ASSERT_THAT(set, IsOk());
  // Scopes of several keys of one organisation add up.
  EXPECT_TRUE((*set)->OrganisationHolds("North", "bookings.read"));
  EXPECT_TRUE((*set)->OrganisationHolds("North", "webhooks.manage"));
  EXPECT_FALSE((*set)->OrganisationHolds("North", "reports.read"));
  EXPECT_FALSE((*set)->OrganisationHolds("South", "bookings.read"));
  EXPECT_FALSE((*set)->OrganisationHolds("", "bookings.read"));
}

TEST(ApiKeysTest, RejectsMalformedFilesNamingTheEntry) {
  const std::string hash = Sha256Hex("k");
  const std::pair<std::string, std::string> cases[] = {
      {"not json", "not a valid key file"},
      {R"({"keys":[{"name":"a b","sha256":")" + hash + R"(","role":"ADMIN"}]})",
       "keys[0]: name"},
      {R"({"keys":[{"name":"a","sha256":"abc","role":"ADMIN"}]})",
       "keys[0]: sha256"},
      {R"({"keys":[{"name":"a","sha256":")" + hash + R"("}]})",
       "keys[0]: role"},
      {R"({"keys":[{"name":"a","sha256":")" + hash + R"(","role":"AGENCY"}]})",
       "keys[0]: organisation"},
      {R"({"keys":[{"name":"a","sha256":")" + hash + R"(","role":"SERVICE"}]})",
       "keys[0]: service: required for a service key"},
      {R"({"keys":[{"name":"a","sha256":")" + hash +
           R"(","role":"SERVICE","service":"printer"}]})",
       "keys[0]: service: required for a service key"},
      {R"({"keys":[{"name":"a","sha256":")" + hash +
           R"(","role":"ADMIN","service":"booking"}]})",
       "keys[0]: service: only a service key"},
      {R"({"keys":[{"name":"a","sha256":")" + hash +
           R"(","role":"ADMIN"},{"name":"a","sha256":")" + Sha256Hex("j") +
           R"(","role":"ADMIN"}]})",
       "keys[1]: name: repeated"},
  };
  for (const auto& [json, expected] : cases) {
    SCOPED_TRACE(expected);
    EXPECT_THAT(
        KeySet::FromJson(json),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(expected)));
  }
}

TEST(ApiKeysTest, StoreReloadsWhenTheFileChangesAndKeepsOldKeysOnError) {
  const std::string dir = training::testing::MakeTempDir("keys");
  const std::string path = dir + "/keys_reload.json";
  const std::string first = *GenerateKey();
  const std::string second = *GenerateKey();
  WriteAtomically(path, KeyFileJson("first", first));
  auto store = KeyStore::Create(path, "");
  ASSERT_THAT(store, IsOk());
  ASSERT_TRUE((*store)->Current()->Lookup(first).has_value());

  auto unchanged = (*store)->Reload();
  ASSERT_THAT(unchanged, IsOk());
  EXPECT_FALSE(*unchanged);
  WriteAtomically(path, KeyFileJson("second", second));
  auto changed = (*store)->Reload();

  ASSERT_THAT(changed, IsOk());
  EXPECT_TRUE(*changed);
  EXPECT_FALSE((*store)->Current()->Lookup(first).has_value());
  EXPECT_TRUE((*store)->Current()->Lookup(second).has_value());

  WriteAtomically(path, "{broken");
  EXPECT_THAT((*store)->Reload(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE((*store)->Current()->Lookup(second).has_value());
}

// Revoking a key by removing the file (or a volume that vanished) must not
// leave the last keys in force: every key is refused, the service runs on,
// and the keys come back with the file.
TEST(ApiKeysTest, AKeyFileThatIsGoneOrUnreadableRefusesEveryKeyUntilItIsBack) {
  const std::string dir = training::testing::MakeTempDir("keys");
  const std::string path = dir + "/keys_gone.json";
  const std::string from_file = *GenerateKey();
  const std::string inline_key = *GenerateKey();
  WriteAtomically(path, KeyFileJson("file-key", from_file));
  auto store = KeyStore::Create(path, KeyFileJson("env-key", inline_key));
  ASSERT_THAT(store, IsOk());

  std::filesystem::remove(path);
  auto gone = (*store)->Reload();

  EXPECT_THAT(gone, StatusIs(absl::StatusCode::kFailedPrecondition,
                             HasSubstr("every key is refused")));
  EXPECT_FALSE((*store)->Current()->Lookup(from_file).has_value());
  EXPECT_FALSE((*store)->Current()->Lookup(inline_key).has_value());

  std::filesystem::create_directory(path);  // there, but no readable file
  EXPECT_THAT((*store)->Reload(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ((*store)->Current()->size(), 0u);

  std::filesystem::remove(path);
  WriteAtomically(path, KeyFileJson("file-key", from_file));
  ASSERT_THAT((*store)->Reload(), IsOk());
  EXPECT_TRUE((*store)->Current()->Lookup(from_file).has_value());
  EXPECT_TRUE((*store)->Current()->Lookup(inline_key).has_value());
}

// A SIGHUP and the watcher reload at the same time: whatever the
// interleaving, once a rewrite of the file has been reloaded, the key it
// revoked stays revoked.
TEST(ApiKeysTest, ConcurrentReloadsNeverBringARevokedKeyBack) {
  const std::string dir = training::testing::MakeTempDir("keys");
  const std::string path = dir + "/keys_race.json";
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back(*GenerateKey());
  WriteAtomically(path, KeyFileJson("k", keys[0]));
  auto store = KeyStore::Create(path, "");
  ASSERT_THAT(store, IsOk());
  std::atomic<bool> done{false};
  std::vector<std::thread> reloaders;
  for (int t = 0; t < 3; ++t) {
    reloaders.emplace_back([&] {
      while (!done.load()) (void)(*store)->Reload();
    });
  }

  int resurrected = 0;
  for (size_t i = 1; i < keys.size(); ++i) {
    WriteAtomically(path, KeyFileJson("k", keys[i]));
    ASSERT_THAT((*store)->Reload(), IsOk());
    // Let the racing reloaders finish whatever they had read.
    for (int spin = 0; spin < 20; ++spin) std::this_thread::yield();
    const auto current = (*store)->Current();
    resurrected += current->Lookup(keys[i - 1]).has_value() ||
                   !current->Lookup(keys[i]).has_value();
  }
  done = true;
  for (auto& thread : reloaders) thread.join();

  EXPECT_EQ(resurrected, 0);
}

TEST(ApiKeysTest, InlineKeysAndFileKeysMerge) {
  const std::string path =
      training::testing::MakeTempDir("keys") + "/keys_merge.json";
  const std::string from_file = *GenerateKey();
  const std::string from_env = *GenerateKey();
  WriteAtomically(path, KeyFileJson("file-key", from_file));

  auto store = KeyStore::Create(path, KeyFileJson("env-key", from_env));

  ASSERT_THAT(store, IsOk());
  EXPECT_TRUE((*store)->Current()->Lookup(from_file).has_value());
  EXPECT_TRUE((*store)->Current()->Lookup(from_env).has_value());
}

TEST(ApiKeysTest, MissingFileIsAConfigurationError) {
  EXPECT_THAT(KeyStore::Create("/nonexistent/keys.json", ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("TRAINING_API_KEYS_FILE")));
}

}  // namespace
}  // namespace training::auth

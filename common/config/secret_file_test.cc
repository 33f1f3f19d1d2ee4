#include "common/config/secret_file.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "common/testing/process.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::training::testing::IsOk;
using ::training::testing::StatusIs;

TEST(SecretFileTest, MakesTheSecretOnceAndReadsItBackOnEveryStart) {
  const std::string path =
      training::testing::MakeTempDir("secret-file") + "/secret";
  int made = 0;
  auto make = [&]() -> absl::StatusOr<std::string> {
    return "s3cret-" + std::to_string(++made);
  };

  auto first = ReadOrCreateSecretFile(path, "--secret", make);
  auto second = ReadOrCreateSecretFile(path, "--secret", make);

  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(*first, "s3cret-1");
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(made, 1);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(SecretFileTest, ASecretThatCannotBeWrittenIsAnErrorNamingTheFlagOnly) {
  const std::string dir = training::testing::MakeTempDir("secret-file");
  // The temporary file's name is taken by a directory: the write fails as
  // on a read-only filesystem (the tests run as root, who may write
  // anywhere a mode would forbid).
  std::filesystem::create_directory(dir + "/secret.tmp");

  auto kept = ReadOrCreateSecretFile(dir + "/secret", "--secret", [] {
    return absl::StatusOr<std::string>("never-shown");
  });

  EXPECT_THAT(kept.status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("--secret: the generated secret cannot be "
                                 "kept")));
  EXPECT_THAT(kept.status().message(), Not(HasSubstr("never-shown")));
  EXPECT_FALSE(std::filesystem::exists(dir + "/secret"));
}

TEST(SecretFileTest, AnEmptyFileIsAnErrorNotANewSecret) {
  const std::string path =
      training::testing::MakeTempDir("secret-file") + "/secret";
  std::ofstream(path) << "";
  bool made = false;

  auto kept = ReadOrCreateSecretFile(path, "--secret", [&] {
    made = true;
    return absl::StatusOr<std::string>("x");
  });

  EXPECT_THAT(kept.status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                      HasSubstr("holds no secret")));
  EXPECT_FALSE(made);
}

TEST(SecretFileTest, AFailedMakeWritesNothing) {
  const std::string path =
      training::testing::MakeTempDir("secret-file") + "/secret";

  auto kept = ReadOrCreateSecretFile(path, "--secret", [] {
    return absl::StatusOr<std::string>(absl::InternalError("no entropy"));
  });

  EXPECT_THAT(kept.status(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace training::config

#include "common/config/flags.h"

#include <map>

#include "absl/flags/flag.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, test_port, 1234, "a port");
ABSL_FLAG(std::string, test_db, "sqlite:///default.db", "a database");
ABSL_FLAG(bool, test_verbose, false, "a switch");

namespace training::config {
namespace {

using ::testing::HasSubstr;
using ::training::testing::IsOk;
using ::training::testing::StatusIs;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](absl::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class FlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::SetFlag(&FLAGS_test_port, 1234);
    absl::SetFlag(&FLAGS_test_db, "sqlite:///default.db");
    absl::SetFlag(&FLAGS_test_verbose, false);
  }
  bool help_ = false;
};

TEST_F(FlagsTest, EnvironmentNameFollowsTheRule) {
  EXPECT_EQ(EnvNameForFlag("booking_db"), "TRAINING_BOOKING_DB");
}

TEST_F(FlagsTest, EnvironmentFillsFlagsNotOnTheCommandLine) {
  auto status = ParseFlags({"--test_port=50052"},
                           FakeEnv({{"TRAINING_TEST_PORT", "9"},
                                    {"TRAINING_TEST_DB", "postgresql://x/y"},
                                    {"TRAINING_TEST_VERBOSE", "true"}}),
                           &help_);

  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(absl::GetFlag(FLAGS_test_port), 50052);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_db), "postgresql://x/y");
  EXPECT_TRUE(absl::GetFlag(FLAGS_test_verbose));
}

TEST_F(FlagsTest, AcceptsSeparateValuesAndNegatedBooleans) {
  auto status =
      ParseFlags({"--test_db", "sqlite:///x.db", "--notest_verbose"},
                 FakeEnv({{"TRAINING_TEST_VERBOSE", "true"}}), &help_);

  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(absl::GetFlag(FLAGS_test_db), "sqlite:///x.db");
  EXPECT_FALSE(absl::GetFlag(FLAGS_test_verbose));
}

TEST_F(FlagsTest, RejectsBadInputNamingTheFlagOrVariable) {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string names;
  };
  const Case cases[] = {
      {{"--test_port=abc"}, {}, "--test_port"},
      {{}, {{"TRAINING_TEST_PORT", "abc"}}, "TRAINING_TEST_PORT"},
      {{"--no_such_flag=1"}, {}, "--no_such_flag"},
      {{"positional"}, {}, "positional"},
      {{"--test_db"}, {}, "--test_db"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.names);
    EXPECT_THAT(
        ParseFlags(c.args, FakeEnv(c.env), &help_),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.names)));
  }
}

TEST_F(FlagsTest, PortValidationNamesTheFlagAndVariable) {
  EXPECT_THAT(ValidatePort("port", 50051), IsOk());
  EXPECT_THAT(ValidatePort("port", 70000),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--port (TRAINING_PORT)")));
}

TEST(EndpointOfTest, DropsCredentialsAndParameters) {
  const std::pair<std::string, std::string> cases[] = {
      {"postgresql://booking:s3cret@db.example:5432/booking?pool_size=8",
       "postgresql://db.example:5432/booking"},
      {"redis://:pa@ss@127.0.0.1:6379?timeout_ms=500",
       "redis://127.0.0.1:6379"},
      {"sqlite:///var/lib/training/booking.db",
       "sqlite:///var/lib/training/booking.db"},
      {"127.0.0.1:7051", "127.0.0.1:7051"},
      {"postgresql://booking:pa?ss/word@db.example/booking",
       "postgresql://db.example/booking"},
  };
  for (const auto& [url, expected] : cases) {
    SCOPED_TRACE(expected);

    EXPECT_EQ(EndpointOf(url), expected);
  }
}

}  // namespace
}  // namespace training::config

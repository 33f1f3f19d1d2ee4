#include "common/redis/redis_client.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/redis/testing_redis_server.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::redis {
namespace {

using ::testing::HasSubstr;
using ::training::testing::IsOk;
using ::training::testing::StatusIs;

constexpr absl::Duration kTimeout = absl::Milliseconds(200);

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    RedisOptions options;
    options.port = server_.port();
    options.command_timeout = kTimeout;
    options.connect_timeout = kTimeout;
    options.pool_size = 4;
    client_ = std::make_unique<RedisClient>(options);
  }

  // Calls until OK or the watchdog ends; returns the last status.
  absl::Status WaitUntilOk() {
    absl::Status last;
    for (absl::Time end = absl::Now() + absl::Seconds(30); absl::Now() < end;) {
      last = client_->Command({"PING"}).status();
      if (last.ok()) return last;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return last;
  }

  testing::RedisServer server_;
  std::unique_ptr<RedisClient> client_;
};

TEST_F(RedisClientTest, RunsCommandsAndConvertsEveryReplyType) {
  ASSERT_THAT(client_->Command({"SET", "k", std::string("v\0w", 3)}), IsOk());

  auto value = client_->Command({"GET", "k"});
  auto missing = client_->Command({"GET", "nope"});
  auto counter = client_->Command({"INCRBY", "n", "5"});
  ASSERT_THAT(client_->Command({"RPUSH", "list", "a", "b"}), IsOk());
  auto list = client_->Command({"LRANGE", "list", "0", "-1"});
  auto wrong = client_->Command({"INCR", "list"});

  ASSERT_THAT(value, IsOk());
  EXPECT_EQ(value->str, std::string("v\0w", 3));
  ASSERT_THAT(missing, IsOk());
  EXPECT_TRUE(missing->is_nil());
  ASSERT_THAT(counter, IsOk());
  EXPECT_EQ(counter->integer, 5);
  ASSERT_THAT(list, IsOk());
  ASSERT_EQ(list->elements.size(), 2u);
  EXPECT_EQ(list->elements[1].str, "b");
  EXPECT_THAT(wrong, StatusIs(absl::StatusCode::kFailedPrecondition,
                              HasSubstr("WRONGTYPE")));
}

TEST_F(RedisClientTest, PipelinesManyCommandsInOneRoundTrip) {
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < 100; ++i) commands.push_back({"INCR", "p"});
  commands.push_back({"HGET", "p", "x"});  // WRONGTYPE, stays in place

  auto replies = client_->Pipeline(commands);

  ASSERT_THAT(replies, IsOk());
  ASSERT_EQ(replies->size(), 101u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ((*replies)[i].integer, i + 1);
  EXPECT_TRUE((*replies)[100].is_error());
}

TEST_F(RedisClientTest, ScriptsRunBySHAAndReloadAfterScriptFlush) {
  Script script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");

  auto first = client_->Eval(script, {"s"}, {"arg"});
  ASSERT_THAT(client_->Command({"SCRIPT", "FLUSH"}), IsOk());
  auto after_flush = client_->Eval(script, {"s"}, {"arg"});

  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->elements.size(), 3u);
  EXPECT_EQ(first->elements[0].str, "s");
  EXPECT_EQ(first->elements[1].str, "arg");
  EXPECT_EQ(first->elements[2].integer, 1);
  ASSERT_THAT(after_flush, IsOk());
  EXPECT_EQ(after_flush->elements[2].integer, 2);
  auto exists = client_->Command({"SCRIPT", "EXISTS", script.sha()});
  ASSERT_THAT(exists, IsOk());
  EXPECT_EQ(exists->elements[0].integer, 1);
}

TEST_F(RedisClientTest,
       StoppedRedisGivesUnavailableQuicklyAndRecoversAfterRestart) {
  ASSERT_THAT(client_->Command({"SET", "k", "v"}), IsOk());
  server_.Stop();

  const absl::Time start = absl::Now();
  auto down = client_->Command({"GET", "k"});
  const absl::Duration took = absl::Now() - start;
  for (int i = 0; i < 5; ++i) (void)client_->Command({"GET", "k"});
  auto fast = client_->Command({"GET", "k"});

  EXPECT_THAT(down, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_LT(took, 10 * kTimeout);  // a watchdog, not a timing claim
  EXPECT_THAT(fast, StatusIs(absl::StatusCode::kUnavailable,
                             HasSubstr("circuit open")));
  EXPECT_FALSE(client_->LooksAvailable());

  ASSERT_TRUE(server_.Start());
  EXPECT_THAT(WaitUntilOk(), IsOk());
  EXPECT_THAT(client_->Command({"SET", "k", "again"}), IsOk());
  EXPECT_TRUE(client_->LooksAvailable());
}

TEST_F(RedisClientTest, FrozenRedisGivesUnavailableWithinTheTimeoutNotAHang) {
  ASSERT_THAT(client_->Command({"PING"}), IsOk());
  server_.Freeze();

  const absl::Time start = absl::Now();
  auto frozen = client_->Command({"PING"});
  const absl::Duration took = absl::Now() - start;

  EXPECT_THAT(frozen, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_LT(took, 10 * kTimeout);  // a watchdog, not a timing claim
  server_.Thaw();
  EXPECT_THAT(WaitUntilOk(), IsOk());
}

TEST(RedisUrlTest, ParsesAndRejects) {
  EXPECT_THAT(
      RedisClient::Create("redis://127.0.0.1:6380?pool_size=2&timeout_ms=50"),
      IsOk());
  // ACL credentials, the password percent-encoded (it may hold '@').
  EXPECT_THAT(RedisClient::Create("redis://booking:p%40ss%3Aw0rd@h:6379"),
              IsOk());
  EXPECT_THAT(RedisClient::Create("redis://:only-a-password@h:6379"), IsOk());
  // A '?' or '/' in a password is not the start of the parameters.
  EXPECT_THAT(
      RedisClient::Create("redis://booking:123?tail@h:6379?pool_size=2"),
      IsOk());
  for (const char* bad :
       {"http://x", "redis://h:0", "redis://h:1?pool_size=0",
        "redis://h:1?colour=1", "redis://booking@h:1",
        "redis://booking:%zzsecret@h:1", "redis://booking:secret%4@h:1"}) {
    SCOPED_TRACE(bad);
    auto created = RedisClient::Create(bad);
    EXPECT_THAT(created, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(created.status().message(),
                ::testing::Not(::testing::HasSubstr("secret")));
  }
}

}  // namespace
}  // namespace training::redis

// training_events, run as an operator would: list a stream's dead letters,
// then replay them.

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/redis/redis_client.h"
#include "common/redis/testing_redis_server.h"
#include "common/testing/process.h"
#include "gtest/gtest.h"

namespace training::testing {
namespace {

constexpr absl::Duration kWatchdog = absl::Seconds(60);

struct Ran {
  std::optional<int> exit_code;
  std::string output;
};

Ran RunTool(const std::vector<std::string>& args) {
  const std::string dir = MakeTempDir("events-tool");
  ChildProcess tool(EVENTS_TOOL_BINARY, args, {}, dir + "/out");
  Ran ran;
  ran.exit_code = tool.Wait(kWatchdog);
  ran.output = tool.Log();
  return ran;
}

TEST(EventsToolTest, ListsAndReplaysDeadLetters) {
  redis::testing::RedisServer server;
  ASSERT_TRUE(server.Start());
  auto redis = redis::RedisClient::Create(server.url());
  ASSERT_TRUE(redis.ok());
  ASSERT_TRUE(
      (*redis)
          ->Command({"XADD", "s.dead", "*", "original_id", "1-1", "group",
                     "notification", "reason", "template missing", "id", "e1",
                     "type", "training.events.v1.BookingConfirmed", "payload",
                     "bytes"})
          .ok());

  Ran help = RunTool({"--help"});
  Ran wrong = RunTool({"replay", server.url(), "s"});
  Ran listed = RunTool({"dead-letters", server.url(), "s", "1h"});
  Ran replayed = RunTool({"replay", server.url(), "s", "1h"});

  EXPECT_EQ(help.exit_code, std::optional<int>(0));
  EXPECT_TRUE(absl::StrContains(help.output, "usage:"));
  EXPECT_EQ(wrong.exit_code, std::optional<int>(2));
  EXPECT_EQ(listed.exit_code, std::optional<int>(0)) << listed.output;
  for (const char* shown :
       {"group=notification", "type=training.events.v1.BookingConfirmed",
        "event=e1", "reason=template missing"}) {
    EXPECT_TRUE(absl::StrContains(listed.output, shown)) << shown;
  }
  EXPECT_FALSE(absl::StrContains(listed.output, "bytes")) << "no payloads";
  EXPECT_EQ(replayed.exit_code, std::optional<int>(0)) << replayed.output;
  EXPECT_TRUE(absl::StrContains(replayed.output, "replayed 1"));
  EXPECT_EQ((*redis)->Command({"XLEN", "s.dead"})->integer, 0);
  auto back = (*redis)->Command({"XRANGE", "s", "-", "+"});
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->elements.size(), 1u);
  std::map<std::string, std::string> fields;
  const auto& pairs = back->elements[0].elements[1].elements;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    fields[pairs[i].str] = pairs[i + 1].str;
  }
  EXPECT_EQ(fields["for_group"], "notification");
  EXPECT_EQ(fields["payload"], "bytes");
  EXPECT_EQ(fields["id"], "e1");
  EXPECT_EQ(fields.count("reason"), 0u);
}

}  // namespace
}  // namespace training::testing

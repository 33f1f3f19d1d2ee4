// The Redis ACL file of deploy/redis, as operators use it: a Redis started
// from it (passwords filled in) lets each service write its own event
// stream only, consume the streams it reads, dead-letter into theirs, and
// touch its own keys; the default user is off. Then booking's real event
// and cache code runs under its own user.

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/auth/api_keys.h"
#include "common/events/consumer.h"
#include "common/events/outbox.h"
#include "common/redis/redis_client.h"
#include "common/redis/testing_redis_server.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "common/testing/process.h"
#include "common/testing/status_matchers.h"
#include "gateway/edge/redis_rate_limiter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/booking/redis_availability_cache.h"

namespace training::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::training::testing::IsOk;
using ::training::testing::StatusIs;

const char* const kServices[] = {"catalogue", "booking", "notification",
                                 "content"};

std::string Password(const std::string& user) {
  return absl::StrCat("pw-", user, "-7f3a9c");
}

class RedisAclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("redis-acl");
    std::ifstream in(REDIS_ACL_FILE);
    std::stringstream text;
    text << in.rdbuf();
    std::string acl = text.str();
    ASSERT_FALSE(acl.empty());
    // Each `#PASSWORD_SHA256_<USER>` becomes the hash of that user's test
    // password, as an operator's render step would.
    const std::regex placeholder("#PASSWORD_SHA256_([A-Z]+)");
    std::string rendered;
    auto begin = std::sregex_iterator(acl.begin(), acl.end(), placeholder);
    size_t copied = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      std::string user = (*it)[1].str();
      for (char& c : user) c = static_cast<char>(std::tolower(c));
      rendered += acl.substr(copied, it->position() - copied);
      rendered += "#" + auth::Sha256Hex(Password(user));
      copied = it->position() + it->length();
    }
    rendered += acl.substr(copied);
    std::ofstream(dir_ + "/users.acl") << rendered;
    redis_.UseAclFile(dir_ + "/users.acl", "operator", Password("operator"));
    ASSERT_TRUE(redis_.Start());
  }

  std::unique_ptr<redis::RedisClient> As(const std::string& user,
                                         const std::string& password = "") {
    auto client = redis::RedisClient::Create(absl::StrCat(
        "redis://", user, ":", password.empty() ? Password(user) : password,
        "@127.0.0.1:", redis_.port()));
    EXPECT_THAT(client, IsOk());
    return *std::move(client);
  }

  std::string dir_;
  redis::testing::RedisServer redis_;
};

TEST_F(RedisAclTest, EachServiceWritesItsOwnStreamOnly) {
  for (const char* writer : kServices) {
    auto client = As(writer);
    for (const char* owner : kServices) {
      SCOPED_TRACE(absl::StrCat(writer, " writing ", owner, "'s stream"));
      auto added = client->Command(
          {"XADD", absl::StrCat("training.events.", owner), "*", "k", "v"});
      if (std::string(writer) == owner) {
        EXPECT_THAT(added, IsOk());
      } else {
        EXPECT_THAT(added.status(),
                    StatusIs(absl::StatusCode::kFailedPrecondition,
                             HasSubstr("NOPERM")));
      }
    }
  }
  // The internet-facing gateway writes no stream at all, and no service
  // may wipe or list the database.
  auto gateway = As("gateway");
  EXPECT_THAT(
      gateway->Command({"XADD", "training.events.booking", "*", "k", "v"})
          .status(),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("NOPERM")));
  for (const char* user : {"booking", "gateway", "catalogue"}) {
    EXPECT_THAT(
        As(user)->Command({"FLUSHALL"}).status(),
        StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("NOPERM")));
    EXPECT_THAT(
        As(user)->Command({"KEYS", "*"}).status(),
        StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("NOPERM")));
  }
}

TEST_F(RedisAclTest, NoUserOrAWrongPasswordGetsNothing) {
  auto anonymous = redis::RedisClient::Create(redis_.url());
  ASSERT_THAT(anonymous, IsOk());
  EXPECT_THAT(
      (*anonymous)
          ->Command({"XRANGE", "training.events.booking", "-", "+"})
          .status(),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("NOAUTH")));

  auto wrong = As("booking", "not-the-password");
  auto denied = wrong->Command({"PING"});

  EXPECT_THAT(denied.status(), StatusIs(absl::StatusCode::kUnavailable,
                                        HasSubstr("authentication failed")));
  EXPECT_THAT(denied.status().message(), Not(HasSubstr("not-the-password")));
}

// Booking's own code, under booking's user: the relay publishes its
// outbox, the consumer reads the catalogue's stream and dead-letters into
// the catalogue's dead letters, and the availability cache's script runs.
TEST_F(RedisAclTest, BookingsEventsAndCacheRunUnderItsOwnUser) {
  auto booking = As("booking");
  auto catalogue = As("catalogue");
  auto db = sql::Database::Open("sqlite://" + dir_ + "/booking.db");
  ASSERT_THAT(db, IsOk());
  ASSERT_THAT(sql::ApplyMigrations(**db, "events", events::EventMigrations()),
              IsOk());
  {
    auto tx = (*db)->Begin(sql::TxMode::kWrite);
    ASSERT_THAT(tx, IsOk());
    events::v1::Event event;
    event.mutable_booking_confirmed()->set_booking("bookings/AAAABBBB");
    ASSERT_THAT(events::WriteToOutbox(**tx, "training.events.booking", event),
                IsOk());
    ASSERT_THAT((*tx)->Commit(), IsOk());
  }
  events::OutboxRelay relay(db->get(), booking.get());
  EXPECT_EQ(relay.PublishOnce().value_or(-1), 1);

  events::v1::Event scheduled;
  scheduled.set_id("3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f");
  scheduled.mutable_session_cancelled()->set_session("courses/a/sessions/b");
  for (const char* payload : {"not a protobuf \xff\xff", ""}) {
    std::string bytes = payload;
    if (bytes.empty()) scheduled.SerializeToString(&bytes);
    ASSERT_THAT(catalogue->Command({"XADD", "training.events.catalogue", "*",
                                    "payload", bytes}),
                IsOk());
  }
  events::StreamConsumer consumer(
      db->get(), booking.get(),
      events::ConsumerOptions{.stream = "training.events.catalogue",
                              .group = "booking",
                              .consumer = "acl-test",
                              .block = absl::Milliseconds(10)},
      [](sql::Transaction&, const events::v1::Event&) {
        return absl::OkStatus();
      });
  ASSERT_THAT(consumer.EnsureGroup(), IsOk());
  ASSERT_THAT(consumer.PollOnce(), IsOk());
  // The unparsable entry went to the catalogue's dead letters, the other
  // was handled; both acknowledged.
  auto dead =
      As("operator")->Command({"XLEN", "training.events.catalogue.dead"});
  ASSERT_THAT(dead, IsOk());
  EXPECT_EQ(dead->integer, 1);
  auto pending =
      booking->Command({"XPENDING", "training.events.catalogue", "booking"});
  ASSERT_THAT(pending, IsOk());
  EXPECT_EQ(pending->elements.at(0).integer, 0);

  booking::RedisAvailabilityCache cache(booking.get(), absl::Seconds(60));
  booking::v1::Availability availability;
  availability.set_session("courses/a/sessions/b");
  availability.set_remaining(3);
  EXPECT_TRUE(cache.Write(availability, 7));
  auto read = cache.Read({"courses/a/sessions/b"});
  ASSERT_TRUE(read.at(0).has_value());
  EXPECT_EQ(read[0]->remaining(), 3);
  // Another replica's copy follows the change stream under the same user.
  booking::RedisAvailabilityCache other(booking.get(), absl::Seconds(60));
  ASSERT_THAT(other.FollowOnce(), IsOk());
  availability.set_remaining(2);
  EXPECT_TRUE(cache.Write(availability, 8));
  ASSERT_THAT(other.FollowOnce(), IsOk());
  auto in_memory = other.ReadInMemory({"courses/a/sessions/b"});
  ASSERT_TRUE(in_memory.has_value());
  EXPECT_EQ(in_memory->at(0).remaining(), 2);
  // And nothing of booking's may the catalogue's user touch.
  EXPECT_THAT(
      catalogue
          ->Command(
              {"HGET",
               booking::RedisAvailabilityCache::KeyOf("courses/a/sessions/b"),
               "v"})
          .status(),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("NOPERM")));
}

// The gateway's shared rate limits run under its own user, never falling
// back to local limits for want of a permission; nothing else is open to it.
TEST_F(RedisAclTest, GatewaysRateLimitsRunUnderItsOwnUser) {
  auto gateway = As("gateway");
  gateway::edge::LocalRateLimiter local;
  gateway::edge::RedisRateLimiter limiter(gateway.get(), &local);
  const gateway::edge::RateLimit limit{1.0 / 3600, 2};
  EXPECT_TRUE(limiter.Check("acl-test", limit).allowed);
  EXPECT_TRUE(limiter.Check("acl-test", limit).allowed);
  EXPECT_FALSE(limiter.Check("acl-test", limit).allowed);
  EXPECT_EQ(limiter.fallbacks(), 0);
  EXPECT_THAT(gateway->Command({"SET", "training:availability:x", "1"}),
              Not(IsOk()));
  EXPECT_THAT(gateway->Command({"KEYS", "*"}), Not(IsOk()));
}

}  // namespace
}  // namespace training::testing

#ifndef TRAINING_COMMON_EVENTS_EVENTS_TEST_FIXTURE_H_
#define TRAINING_COMMON_EVENTS_EVENTS_TEST_FIXTURE_H_

// The fixture the events tests share: a real Redis server of the test's
// own, a fresh database on the engine under test with the events tables
// and the `effects` table (testing_events.h), and helpers to write events
// and read counts back.

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/events/consumer.h"
#include "common/events/outbox.h"
#include "common/events/testing_events.h"
#include "common/redis/testing_redis_server.h"
#include "common/sql/testing/test_databases.h"
#include "common/status_macros.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace training::events {

using training::events::v1::Event;
using ::training::testing::IsOk;

constexpr char kStream[] = "training.events.test";
constexpr absl::Duration kWatchdog = absl::Seconds(120);

class EventsTest : public ::testing::TestWithParam<sql::Engine> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_server_.Start());
    auto url = sql::testing::NewTestDatabaseUrl(GetParam());
    ASSERT_THAT(url, IsOk());
    db_url_ = *url;
    auto db = sql::Database::Open(db_url_);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    ASSERT_THAT(sql::ApplyMigrations(*db_, "events", EventMigrations()),
                IsOk());
    ASSERT_THAT(
        sql::ApplyMigrations(*db_, "events_test", testing::EffectMigrations()),
        IsOk());
    auto redis = redis::RedisClient::Create(redis_server_.url());
    ASSERT_THAT(redis, IsOk());
    redis_ = *std::move(redis);
  }

  // Writes `count` events in transactions of up to 500.
  void WriteEvents(int count, const std::string& type = "test") {
    for (int done = 0; done < count;) {
      const int batch = std::min(500, count - done);
      ASSERT_THAT(sql::RunInTransaction(
                      *db_, sql::TxMode::kWrite,
                      [&](sql::Transaction& tx) -> absl::Status {
                        for (int i = 0; i < batch; ++i) {
                          Event e;
                          e.set_type(type);
                          e.set_source("test");
                          RETURN_IF_ERROR(WriteToOutbox(tx, kStream, e));
                        }
                        return absl::OkStatus();
                      }),
                  IsOk());
      done += batch;
    }
  }

  int64_t Scalar(const std::string& sql) {
    auto tx = db_->Begin(sql::TxMode::kRead);
    if (!tx.ok()) return -1;
    auto rows = (*tx)->Query(sql);
    if (!rows.ok()) return -1;
    return rows->GetInt64(0, "v").value_or(-1);
  }

  int64_t Redis(const std::vector<std::string>& command) {
    auto reply = redis_->Command(command);
    return reply.ok() ? reply->integer : -1;
  }

  int64_t Pending(const std::string& group) {
    auto reply = redis_->Command({"XPENDING", kStream, group});
    return reply.ok() && !reply->elements.empty() ? reply->elements[0].integer
                                                  : -1;
  }

  ConsumerOptions Options(const std::string& name, absl::Duration claim_idle) {
    return ConsumerOptions{.stream = kStream,
                           .group = "g",
                           .consumer = name,
                           .batch_size = 100,
                           .block = absl::Milliseconds(20),
                           .claim_idle = claim_idle,
                           .max_deliveries = 3};
  }

  redis::testing::RedisServer redis_server_;
  std::string db_url_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<redis::RedisClient> redis_;
};

}  // namespace training::events

#endif  // TRAINING_COMMON_EVENTS_EVENTS_TEST_FIXTURE_H_

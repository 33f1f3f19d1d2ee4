// A second process for the events crash tests.
//
//   events_test_helper relay <db_url> <redis_url>
//       publishes every unsent outbox row, then exits 0.
//   events_test_helper consume <db_url> <redis_url> <stream> <group> <name>
//       one poll of the test consumer (effects table), then exits 0.
// Run with TRAINING_CRASH_AT=relay.after_xadd or consumer.before_ack to be
// killed at that point.

#include <cstdio>
#include <string>

#include "common/events/consumer.h"
#include "common/events/outbox.h"
#include "common/events/testing_events.h"

int main(int argc, char** argv) {
  using namespace training;
  if (argc < 4) return 2;
  const std::string command = argv[1];
  auto db = sql::Database::Open(argv[2]);
  auto redis = redis::RedisClient::Create(argv[3]);
  if (!db.ok() || !redis.ok()) return 1;
  if (command == "relay") {
    events::OutboxRelay relay(db->get(), redis->get());
    while (true) {
      auto n = relay.PublishOnce();
      if (!n.ok()) {
        std::fprintf(stderr, "%s\n", std::string(n.status().message()).c_str());
        return 1;
      }
      if (*n == 0) return 0;
    }
  }
  if (command == "consume" && argc == 7) {
    events::ConsumerOptions options{
        .stream = argv[4], .group = argv[5], .consumer = argv[6]};
    events::StreamConsumer consumer(db->get(), redis->get(), options,
                                    events::testing::CountEffect());
    if (!consumer.EnsureGroup().ok()) return 1;
    auto n = consumer.PollOnce();
    return n.ok() ? 0 : 1;
  }
  return 2;
}

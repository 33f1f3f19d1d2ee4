#ifndef TRAINING_COMMON_EVENTS_OUTBOX_H_
#define TRAINING_COMMON_EVENTS_OUTBOX_H_

// The transactional outbox: a service writes its events in the same
// transaction as the change they describe, so that an event exists if and
// only if the change committed. OutboxRelay then publishes unsent rows to
// Redis Streams in seq order, as far as they have committed (on PostgreSQL a
// row can commit after a later one, and is published after it), and marks
// exactly the rows it published sent.
//
// Delivery is at least once: a relay that dies between XADD and marking the
// rows sent publishes them again (duplicates, never gaps).
// Consumers are idempotent by Event.id (see consumer.h).

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/redis/redis_client.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "training/events/v1/events.pb.h"

namespace training::events {

// Tables of the events component: outbox and processed_events. Apply with
// sql::ApplyMigrations(db, "events", EventMigrations()).
std::vector<sql::Migration> EventMigrations();

// A new event about `subject` (a resource name) from `source` (the
// service), stamped with the request id and W3C trace context of the call
// that caused it. The caller sets the payload.
training::events::v1::Event NewEvent(absl::string_view source,
                                     absl::string_view subject,
                                     absl::string_view request_id,
                                     absl::string_view traceparent,
                                     absl::string_view tracestate);

// Adds `event` to the outbox inside `tx`, for `stream` (one stream per
// source service, e.g. "training.events.booking"). Fills in `id` (a random
// UUID), `occur_time` (now) and `type` (the payload's full message name)
// when empty. The caller commits.
absl::Status WriteToOutbox(sql::Transaction& tx, const std::string& stream,
                           training::events::v1::Event event);

// The same for several events, stored in one row (group commit writes a
// batch's events at once); they are published in this order, each as its
// own stream entry.
absl::Status WriteToOutbox(sql::Transaction& tx, const std::string& stream,
                           std::vector<training::events::v1::Event> events);

// The statement WriteToOutbox runs, for a caller that sends it together
// with others (Transaction::QueryAll). INVALID_ARGUMENT without events.
absl::StatusOr<sql::Statement> OutboxInsert(
    const std::string& stream, std::vector<training::events::v1::Event> events);

// The events an outbox row holds, from its `payload` and `event_count`
// columns. DATA_LOSS when they do not parse.
absl::StatusOr<std::vector<training::events::v1::Event>> UnpackOutboxPayload(
    absl::string_view payload, int64_t event_count);

// Every event in the outbox, sent or not, in outbox order: for tests and
// inspection (its counterpart in SQL is SUM(event_count)).
absl::StatusOr<std::vector<training::events::v1::Event>> ReadOutbox(
    sql::Transaction& tx);

struct RelayOptions {
  // Events per pass (but at least one row), one write transaction per pass
  // to mark them. On SQLite that transaction takes the one write lock
  // bookings commit under: at 200 a flash crowd's 14k events/s cost as many
  // relay commits as booking commits.
  int batch_size = 2000;
  absl::Duration poll_interval = absl::Milliseconds(50);
  // Published rows are deleted once they are this old, a few batches at a
  // time, so that the outbox holds the unsent backlog plus a short history
  // rather than every event ever written.
  absl::Duration keep_sent = absl::Minutes(10);
};

// Publishes outbox rows. Several relays (replicas) may run against one
// database: on PostgreSQL a transaction-scoped advisory lock lets one at a
// time publish, so rows reach the stream in outbox order. Thread-safe.
class OutboxRelay {
 public:
  OutboxRelay(sql::Database* db, redis::RedisClient* redis,
              RelayOptions options = {});
  ~OutboxRelay();

  // Publishes up to batch_size unsent events in order and marks their rows
  // sent, then deletes up to 2 * batch_size of the oldest rows sent more
  // than keep_sent ago. Returns how many events were published; 0 when none are
  // waiting or another relay holds the lock. UNAVAILABLE when Redis or the
  // database is down (nothing is marked sent then).
  absl::StatusOr<int> PublishOnce();

  // Age of the oldest unsent row (zero when none): the outbox lag.
  absl::StatusOr<absl::Duration> OldestUnsentAge();

  // Publishes in a background loop until Stop() or destruction.
  void Start();
  void Stop();

  // Called in each pass after its events were published and before their
  // rows are marked sent: tests commit another transaction there.
  void SetAfterPublishHookForTest(std::function<void()> hook) {
    after_publish_for_test_ = std::move(hook);
  }

 private:
  // PublishOnce on a database with a single writer (SQLite): the rows are
  // read, published and then marked, without holding the one write lock
  // across the Redis round trip.
  absl::Status PublishOutsideTheWriteLock(int& published);
  absl::Status PruneSent(sql::Transaction& tx);

  // Guards no data but a section: held across PublishOutsideTheWriteLock,
  // so that one publisher of this process runs it at a time.
  absl::Mutex publish_mu_;
  std::function<void()> after_publish_for_test_;

  sql::Database* db_;
  redis::RedisClient* redis_;
  const RelayOptions options_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace training::events

#endif  // TRAINING_COMMON_EVENTS_OUTBOX_H_

#include "common/events/outbox.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/delimited_message_util.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/metrics/metrics.h"
#include "common/random/unique_bytes.h"
#include "common/runtime/crash_point.h"
#include "common/status_macros.h"

namespace training::events {
namespace {

using training::events::v1::Event;

// Only one relay publishes at a time (PostgreSQL replicas); on SQLite the
// write transaction already excludes every other writer.
// The lock that makes one relay at a time publish (Transaction::TryLock).
constexpr int64_t kRelayLock = 1953653098;

std::string NewUuid() {
  std::string b = random::UniqueBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // RFC 9562 variant
  const std::string hex = absl::BytesToHexString(b);
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-",
                      hex.substr(12, 4), "-", hex.substr(16, 4), "-",
                      hex.substr(20));
}

// One gauge per process, fed by whichever relay last measured.
std::atomic<double>& OutboxLagSeconds() {
  static std::atomic<double>* lag = [] {
    auto* value = new std::atomic<double>(0);
    metrics::DefaultRegistry().Gauge("training_outbox_lag_seconds",
                                     "Age of the oldest unsent outbox row.",
                                     [value] { return value->load(); });
    return value;
  }();
  return *lag;
}

// When this process's relay last finished a pass without failing (it
// published, or found nothing to publish): a relay that is stuck, or
// cannot reach Redis or the database, stops moving it.
std::atomic<double>& LastSuccessfulPass() {
  static std::atomic<double>* at = [] {
    auto* value = new std::atomic<double>(
        absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
    metrics::DefaultRegistry().Gauge(
        "training_outbox_last_success_timestamp_seconds",
        "When the outbox relay last finished a pass without failing (Unix "
        "seconds).",
        [value] { return value->load(); });
    return value;
  }();
  return *at;
}

metrics::CounterFamily& Published() {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_outbox_published_total", "Outbox rows published to streams.",
      {});
  return family;
}

}  // namespace

std::vector<sql::Migration> EventMigrations() {
  return {{1, "outbox and processed events", sql::PortableDdl(R"sql(
CREATE TABLE outbox (
  seq SERIAL_KEY,
  stream TEXT NOT NULL,
  event_id TEXT NOT NULL UNIQUE,
  payload BYTES NOT NULL,
  created_at_us BIGINT NOT NULL,
  sent_at_us BIGINT
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at_us IS NULL;
CREATE TABLE processed_events (
  consumer TEXT NOT NULL,
  event_id TEXT NOT NULL,
  processed_at_us BIGINT NOT NULL,
  PRIMARY KEY (consumer, event_id)
);
)sql")},
          // Event ids are random UUIDs made here, and consumers drop
          // duplicates by id themselves: a unique index on them only cost
          // every write a page at a random place in the index.
          {2,
           "outbox without the unique event id index",
           {.sqlite = R"sql(
CREATE TABLE outbox_v2 (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  stream TEXT NOT NULL,
  event_id TEXT NOT NULL,
  payload BLOB NOT NULL,
  created_at_us BIGINT NOT NULL,
  sent_at_us BIGINT
);
INSERT INTO outbox_v2 (seq, stream, event_id, payload, created_at_us,
                       sent_at_us)
  SELECT seq, stream, event_id, payload, created_at_us, sent_at_us
  FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at_us IS NULL;
)sql",
            .postgres = R"sql(
ALTER TABLE outbox DROP CONSTRAINT outbox_event_id_key;
)sql"}},
          // A transaction's events share one row (see WriteToOutbox): a
          // flash crowd's batch of 200 bookings wrote, marked and deleted
          // 200 rows, the relay's largest cost per event.
          {3, "several events per outbox row", sql::PortableDdl(R"sql(
ALTER TABLE outbox ADD COLUMN event_count INTEGER NOT NULL DEFAULT 1;
)sql")},
          // A batch's row holds some 60 KB of events; PostgreSQL compressed
          // it with pglz on the committing path (0.8 ms a row, 4 us a
          // booking). Stored out of line, uncompressed; the row lives for
          // minutes.
          {4,
           "outbox payloads uncompressed",
           {.sqlite = "-- SQLite never compresses.", .postgres = R"sql(
ALTER TABLE outbox ALTER COLUMN payload SET STORAGE EXTERNAL;
)sql"}},
          // Retention forgets processed events by age (retention.h).
          {5, "processed events by age", sql::PortableDdl(R"sql(
CREATE INDEX processed_events_by_age ON processed_events (processed_at_us);
)sql")}};
}

Event NewEvent(absl::string_view source, absl::string_view subject,
               absl::string_view request_id, absl::string_view traceparent,
               absl::string_view tracestate) {
  Event event;
  event.set_source(std::string(source));
  event.set_subject(std::string(subject));
  event.set_request_id(std::string(request_id));
  event.set_traceparent(std::string(traceparent));
  event.set_tracestate(std::string(tracestate));
  return event;
}

absl::Status WriteToOutbox(sql::Transaction& tx, const std::string& stream,
                           Event event) {
  std::vector<Event> one;
  one.push_back(std::move(event));
  return WriteToOutbox(tx, stream, std::move(one));
}

absl::Status WriteToOutbox(sql::Transaction& tx, const std::string& stream,
                           std::vector<Event> events) {
  if (events.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(sql::Statement insert,
                   OutboxInsert(stream, std::move(events)));
  return tx.Execute(insert.sql, insert.params).status();
}

absl::StatusOr<sql::Statement> OutboxInsert(const std::string& stream,
                                            std::vector<Event> events) {
  if (events.empty()) {
    return absl::InvalidArgumentError("outbox: no events to write");
  }
  const absl::Time now = absl::Now();
  for (Event& event : events) {
    if (event.id().empty()) event.set_id(NewUuid());
    if (event.type().empty()) {
      const auto* oneof = Event::descriptor()->FindOneofByName("payload");
      const auto* field =
          event.GetReflection()->GetOneofFieldDescriptor(event, oneof);
      if (field != nullptr) event.set_type(field->message_type()->full_name());
    }
    if (!event.has_occur_time()) {
      const int64_t nanos = absl::ToUnixNanos(now);
      event.mutable_occur_time()->set_seconds(nanos / 1000000000);
      event.mutable_occur_time()->set_nanos(
          static_cast<int32_t>(nanos % 1000000000));
    }
  }
  // One event is stored as itself, several as length-delimited events in
  // order; the row's event_id is its first event's (they are published
  // under their own ids).
  std::string payload;
  if (events.size() == 1) {
    payload = events.front().SerializeAsString();
  } else {
    google::protobuf::io::StringOutputStream out(&payload);
    google::protobuf::io::CodedOutputStream coded(&out);
    for (const Event& event : events) {
      if (!google::protobuf::util::SerializeDelimitedToCodedStream(event,
                                                                   &coded)) {
        return absl::InternalError("outbox: an event did not serialise");
      }
    }
  }
  return sql::Statement{
      "INSERT INTO outbox (stream, event_id, event_count, payload, "
      "created_at_us) VALUES ($1, $2, $3, $4, $5)",
      {stream, events.front().id(), static_cast<int64_t>(events.size()),
       sql::Blob{std::move(payload)}, absl::ToUnixMicros(now)}};
}

namespace {

// The serialised events an outbox row holds.
absl::StatusOr<std::vector<std::string>> SplitOutboxPayload(
    std::string payload, int64_t event_count) {
  std::vector<std::string> events;
  if (event_count == 1) {
    events.push_back(std::move(payload));
    return events;
  }
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(payload.data()),
      static_cast<int>(payload.size()));
  for (int64_t i = 0; i < event_count; ++i) {
    uint32_t size = 0;
    if (!in.ReadVarint32(&size) ||
        !in.ReadString(&events.emplace_back(), static_cast<int>(size))) {
      return absl::DataLossError("outbox: a row holds fewer than its count");
    }
  }
  if (in.CurrentPosition() != static_cast<int>(payload.size())) {
    return absl::DataLossError("outbox: a row holds more than its count");
  }
  return events;
}

}  // namespace

absl::StatusOr<std::vector<Event>> UnpackOutboxPayload(
    absl::string_view payload, int64_t event_count) {
  ASSIGN_OR_RETURN(std::vector<std::string> serialised,
                   SplitOutboxPayload(std::string(payload), event_count));
  std::vector<Event> events(serialised.size());
  for (size_t i = 0; i < serialised.size(); ++i) {
    if (!events[i].ParseFromString(serialised[i])) {
      return absl::DataLossError("outbox: a stored event does not parse");
    }
  }
  return events;
}

absl::StatusOr<std::vector<Event>> ReadOutbox(sql::Transaction& tx) {
  ASSIGN_OR_RETURN(
      sql::ResultSet rows,
      tx.Query("SELECT event_count, payload FROM outbox ORDER BY seq"));
  std::vector<Event> events;
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSIGN_OR_RETURN(int64_t count, rows.GetInt64(i, "event_count"));
    ASSIGN_OR_RETURN(sql::Blob payload, rows.GetBlob(i, "payload"));
    ASSIGN_OR_RETURN(std::vector<Event> row,
                     UnpackOutboxPayload(payload.bytes, count));
    for (Event& event : row) events.push_back(std::move(event));
  }
  return events;
}

OutboxRelay::OutboxRelay(sql::Database* db, redis::RedisClient* redis,
                         RelayOptions options)
    : db_(db), redis_(redis), options_(options) {}

OutboxRelay::~OutboxRelay() { Stop(); }

namespace {

// The unsent rows a pass publishes: in seq order, up to `batch_size`
// events but at least one row. The counts are read first so that a backlog
// of large rows is never read whole.
absl::StatusOr<sql::ResultSet> SelectUnsent(sql::Transaction& tx,
                                            int batch_size) {
  ASSIGN_OR_RETURN(
      sql::ResultSet counts,
      tx.Query("SELECT seq, event_count FROM outbox WHERE sent_at_us IS NULL "
               "ORDER BY seq LIMIT $1",
               {static_cast<int64_t>(batch_size)}));
  if (counts.empty()) return counts;
  int64_t events = 0;
  int64_t last = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    ASSIGN_OR_RETURN(int64_t count, counts.GetInt64(i, "event_count"));
    if (i > 0 && events + count > batch_size) break;
    events += count;
    ASSIGN_OR_RETURN(last, counts.GetInt64(i, "seq"));
  }
  return tx.Query(
      "SELECT seq, stream, event_count, payload FROM outbox WHERE sent_at_us "
      "IS NULL AND seq <= $1 ORDER BY seq",
      {last});
}

// XADDs the events of `rows` in one pipeline; UNAVAILABLE unless every one
// succeeded. Returns how many events that was.
absl::StatusOr<int> Xadd(redis::RedisClient& redis,
                         const sql::ResultSet& rows) {
  std::vector<std::vector<std::string>> commands;
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSIGN_OR_RETURN(std::string stream, rows.GetString(i, "stream"));
    ASSIGN_OR_RETURN(int64_t count, rows.GetInt64(i, "event_count"));
    ASSIGN_OR_RETURN(sql::Blob payload, rows.GetBlob(i, "payload"));
    ASSIGN_OR_RETURN(std::vector<std::string> events,
                     SplitOutboxPayload(std::move(payload.bytes), count));
    for (std::string& bytes : events) {
      Event event;
      if (!event.ParseFromString(bytes)) {
        return absl::DataLossError("outbox: a stored event does not parse");
      }
      commands.push_back({"XADD", stream, "*", "id", event.id(), "type",
                          event.type(), "payload", std::move(bytes)});
    }
  }
  ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, redis.Pipeline(commands));
  for (const auto& reply : replies) {
    if (reply.is_error()) {
      return absl::UnavailableError(
          absl::StrCat("outbox: XADD failed: ", reply.str));
    }
  }
  // A crash here publishes these rows again on restart: duplicates, which
  // consumers drop by event id; never a gap.
  runtime::CrashPoint("relay.after_xadd");
  return static_cast<int>(commands.size());
}

// Marks exactly the rows of `rows` sent. Not the range from the first seq
// read to the last: on PostgreSQL seqs are taken in one order and committed
// in another, so a row inside that range can commit after the pass read
// its rows; a range UPDATE (a new snapshot under READ COMMITTED) would mark
// it sent although it was never published. The rows are marked by runs of
// consecutive seqs, since a run of consecutive integers holds no row that
// was not read: usually one run, a few where a transaction rolled back or
// was still open; all in one round trip (QueryAll).
absl::Status MarkSent(sql::Transaction& tx, const sql::ResultSet& rows) {
  const int64_t now = absl::ToUnixMicros(absl::Now());
  std::vector<sql::Statement> runs;
  auto mark = [&](int64_t first, int64_t last) {
    runs.push_back(
        {"UPDATE outbox SET sent_at_us = $1 WHERE seq >= $2 AND "
         "seq <= $3 AND sent_at_us IS NULL",
         {now, first, last}});
  };
  ASSIGN_OR_RETURN(int64_t run_first, rows.GetInt64(0, "seq"));
  int64_t run_last = run_first;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSIGN_OR_RETURN(int64_t seq, rows.GetInt64(i, "seq"));
    if (seq != run_last + 1) {
      mark(run_first, run_last);
      run_first = seq;
    }
    run_last = seq;
  }
  mark(run_first, run_last);
  return tx.QueryAll(runs).status();
}

}  // namespace

absl::StatusOr<int> OutboxRelay::PublishOnce() {
  int published = 0;
  absl::Status status =
      db_->HasSingleWriter()
          ? PublishOutsideTheWriteLock(published)
          : sql::RunInTransaction(
                *db_, sql::TxMode::kWrite,
                [&](sql::Transaction& tx) -> absl::Status {
                  published = 0;
                  ASSIGN_OR_RETURN(bool locked, tx.TryLock(kRelayLock));
                  if (!locked) return absl::OkStatus();
                  ASSIGN_OR_RETURN(sql::ResultSet rows,
                                   SelectUnsent(tx, options_.batch_size));
                  if (rows.empty()) return absl::OkStatus();
                  ASSIGN_OR_RETURN(int events, Xadd(*redis_, rows));
                  if (after_publish_for_test_) after_publish_for_test_();
                  RETURN_IF_ERROR(MarkSent(tx, rows));
                  published = events;
                  return PruneSent(tx);
                });
  if (!status.ok()) return status;
  Published().Add({}, published);
  return published;
}

absl::Status OutboxRelay::PublishOutsideTheWriteLock(int& published) {
  // SQLite has one writer per file and one process per file: holding the
  // write transaction across the Redis round trip would stall every
  // booking meanwhile. No other relay can publish these rows, so they are
  // read, published, and only then marked, in a short write transaction.
  absl::MutexLock lock(&publish_mu_);  // one publisher in this process
  published = 0;
  sql::ResultSet rows;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(rows, SelectUnsent(tx, options_.batch_size));
        return absl::OkStatus();
      }));
  if (rows.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(int events, Xadd(*redis_, rows));
  if (after_publish_for_test_) after_publish_for_test_();
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(MarkSent(tx, rows));
        return PruneSent(tx);
      }));
  published = events;
  return absl::OkStatus();
}

absl::Status OutboxRelay::PruneSent(sql::Transaction& tx) {
  // Rows are sent in seq order but for a late commit here and there, so
  // the old sent rows are nearly a prefix of the table: read a bounded
  // prefix by primary key and delete its old part up to the first row that
  // is unsent or young (what lies behind it goes on a later pass).
  // (A WHERE on sent_at_us alone would scan every recent row when none is
  // old.) Most passes find the first row young and stop there, instead of
  // reading the whole prefix (3 ms a pass on PostgreSQL under load).
  const int64_t cutoff = absl::ToUnixMicros(absl::Now() - options_.keep_sent);
  ASSIGN_OR_RETURN(
      sql::ResultSet first,
      tx.Query("SELECT sent_at_us FROM outbox ORDER BY seq LIMIT 1"));
  if (first.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<int64_t> first_sent,
                   first.GetOptionalInt64(0, "sent_at_us"));
  if (!first_sent.has_value() || *first_sent >= cutoff) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(
      sql::ResultSet head,
      tx.Query("SELECT seq, sent_at_us FROM outbox ORDER BY seq LIMIT $1",
               {static_cast<int64_t>(2 * options_.batch_size)}));
  std::optional<int64_t> last_old;
  for (size_t i = 0; i < head.size(); ++i) {
    ASSIGN_OR_RETURN(std::optional<int64_t> sent,
                     head.GetOptionalInt64(i, "sent_at_us"));
    if (!sent.has_value() || *sent >= cutoff) break;
    ASSIGN_OR_RETURN(last_old, head.GetInt64(i, "seq"));
  }
  if (!last_old.has_value()) return absl::OkStatus();
  return tx
      .Execute("DELETE FROM outbox WHERE seq <= $1 AND sent_at_us IS NOT NULL",
               {*last_old})
      .status();
}

absl::StatusOr<absl::Duration> OutboxRelay::OldestUnsentAge() {
  ASSIGN_OR_RETURN(auto tx, db_->Begin(sql::TxMode::kRead));
  ASSIGN_OR_RETURN(sql::ResultSet rows,
                   tx->Query("SELECT MIN(created_at_us) AS oldest FROM outbox "
                             "WHERE sent_at_us IS NULL"));
  ASSIGN_OR_RETURN(std::optional<int64_t> oldest,
                   rows.GetOptionalInt64(0, "oldest"));
  if (!oldest.has_value()) return absl::ZeroDuration();
  return absl::Now() - absl::FromUnixMicros(*oldest);
}

void OutboxRelay::Start() {
  if (thread_.joinable()) return;
  LastSuccessfulPass();  // exported from the start
  thread_ = std::thread([this] {
    bool failing = false;
    while (!stop_.HasBeenNotified()) {
      auto published = PublishOnce();
      if (published.ok()) {
        LastSuccessfulPass().store(
            absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
        if (failing) log::Info("outbox.publish_recovered");
        failing = false;
      } else if (!failing) {
        // One line per outage, not one per pass (twenty a second).
        log::Warning(
            "outbox.publish_failed",
            {{"error", log::ScrubbedText(published.status().message())}});
        failing = true;
      }
      if (auto lag = OldestUnsentAge(); lag.ok()) {
        OutboxLagSeconds().store(absl::ToDoubleSeconds(*lag));
      }
      // Drain quickly while there is a backlog; otherwise poll.
      if (!published.ok() || *published < options_.batch_size) {
        stop_.WaitForNotificationWithTimeout(options_.poll_interval);
      }
    }
  });
}

void OutboxRelay::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace training::events

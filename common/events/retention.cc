#include "common/events/retention.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/logging/log.h"
#include "common/metrics/metrics.h"
#include "common/status_macros.h"

namespace training::events {
namespace {

// Stream ids "ms-seq", compared numerically.
using StreamId = std::pair<uint64_t, uint64_t>;

StreamId ParseId(const std::string& id) {
  std::pair<std::string, std::string> parts =
      absl::StrSplit(id, absl::MaxSplits('-', 1));
  StreamId out{0, 0};
  (void)absl::SimpleAtoi(parts.first, &out.first);
  (void)absl::SimpleAtoi(parts.second, &out.second);
  return out;
}

metrics::CounterFamily& Removed() {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_events_retention_removed_total",
      "Stream entries, dead letters and processed-event records removed by "
      "retention.",
      {"what"});
  return family;
}

}  // namespace

std::string StreamIdAt(absl::Time time) {
  return absl::StrCat(std::max<int64_t>(0, absl::ToUnixMillis(time)), "-0");
}

absl::StatusOr<int64_t> TrimStream(redis::RedisClient& redis,
                                   const std::string& stream,
                                   absl::Time keep_since) {
  ASSIGN_OR_RETURN(redis::Reply exists, redis.Command({"EXISTS", stream}));
  if (exists.integer == 0) return 0;
  ASSIGN_OR_RETURN(redis::Reply groups,
                   redis.Command({"XINFO", "GROUPS", stream}));
  std::string bound = StreamIdAt(keep_since);
  for (const redis::Reply& group : groups.elements) {
    std::map<std::string, std::string> info;
    int64_t pending = 0;
    for (size_t i = 0; i + 1 < group.elements.size(); i += 2) {
      const std::string& key = group.elements[i].str;
      if (key == "pending") pending = group.elements[i + 1].integer;
      info[key] = group.elements[i + 1].str;
    }
    // Everything up to last-delivered-id is acknowledged unless pending;
    // everything after it is not yet delivered to this group.
    std::string keep_from = info["last-delivered-id"];
    if (pending > 0) {
      ASSIGN_OR_RETURN(redis::Reply summary,
                       redis.Command({"XPENDING", stream, info["name"]}));
      if (summary.elements.size() >= 2 && !summary.elements[1].is_nil() &&
          ParseId(summary.elements[1].str) < ParseId(keep_from)) {
        keep_from = summary.elements[1].str;
      }
    }
    if (ParseId(keep_from) < ParseId(bound)) bound = keep_from;
  }
  ASSIGN_OR_RETURN(redis::Reply trimmed,
                   redis.Command({"XTRIM", stream, "MINID", bound}));
  Removed().Add({"stream_entries"}, static_cast<double>(trimmed.integer));
  return trimmed.integer;
}

absl::StatusOr<int64_t> TrimDeadLetters(redis::RedisClient& redis,
                                        const std::string& stream,
                                        absl::Time keep_since) {
  ASSIGN_OR_RETURN(redis::Reply trimmed,
                   redis.Command({"XTRIM", stream + ".dead", "MINID",
                                  StreamIdAt(keep_since)}));
  Removed().Add({"dead_letters"}, static_cast<double>(trimmed.integer));
  return trimmed.integer;
}

absl::StatusOr<int64_t> ForgetProcessedEvents(sql::Database& db,
                                              absl::Time before, int batch) {
  int64_t forgotten = 0;
  while (true) {
    int64_t deleted = 0;
    // A bounded batch per transaction, so that SQLite's one write lock is
    // held for milliseconds, not for a week of records.
    RETURN_IF_ERROR(sql::RunInTransaction(
        db, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
          ASSIGN_OR_RETURN(
              deleted,
              tx.Execute("DELETE FROM processed_events WHERE (consumer, "
                         "event_id) IN (SELECT consumer, event_id FROM "
                         "processed_events WHERE processed_at_us < $1 ORDER "
                         "BY processed_at_us LIMIT $2)",
                         {absl::ToUnixMicros(before), int64_t{batch}}));
          return absl::OkStatus();
        }));
    forgotten += deleted;
    if (deleted < batch) break;
  }
  Removed().Add({"processed_events"}, static_cast<double>(forgotten));
  return forgotten;
}

EventHousekeeping::EventHousekeeping(sql::Database* db,
                                     redis::RedisClient* redis,
                                     std::vector<std::string> streams,
                                     RetentionOptions options,
                                     const Clock* clock)
    : db_(db),
      redis_(redis),
      streams_(std::move(streams)),
      options_(options),
      clock_(clock) {}

EventHousekeeping::~EventHousekeeping() { Stop(); }

absl::Status EventHousekeeping::RunOnce() {
  const absl::Time now = clock_->Now();
  absl::Status first = absl::OkStatus();
  auto note = [&first](absl::Status status) {
    if (first.ok()) first = std::move(status);
  };
  for (const std::string& stream : streams_) {
    note(TrimStream(*redis_, stream, now - options_.stream_floor).status());
    note(
        TrimDeadLetters(*redis_, stream, now - options_.dead_letters).status());
  }
  note(ForgetProcessedEvents(*db_, now - options_.processed_events).status());
  return first;
}

void EventHousekeeping::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(options_.interval)) {
      absl::Status status = RunOnce();
      if (!status.ok()) {
        log::Warning("events.retention_failed",
                     {{"error", log::ScrubbedText(status.message())}});
      }
    }
  });
}

void EventHousekeeping::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace training::events

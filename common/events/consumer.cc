#include "common/events/consumer.h"

#include <atomic>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/metrics/metrics.h"
#include "common/runtime/crash_point.h"
#include "common/status_macros.h"

namespace training::events {
namespace {

using training::events::v1::Event;

metrics::CounterFamily& Consumed() {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_events_consumed_total",
      "Stream entries acknowledged, by outcome.", {"outcome"});
  return family;
}

metrics::HistogramFamily& EndToEndLag() {
  static auto& family = metrics::DefaultRegistry().Histogram(
      "training_events_lag_seconds",
      "From an event's occur_time to its handling.", {},
      {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120});
  return family;
}

std::atomic<double>& PendingGauge() {
  static std::atomic<double>* pending = [] {
    auto* value = new std::atomic<double>(0);
    metrics::DefaultRegistry().Gauge(
        "training_events_pending", "Entries pending in the last polled group.",
        [value] { return value->load(); });
    return value;
  }();
  return *pending;
}

std::map<std::string, std::string> Fields(const redis::Reply& array) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < array.elements.size(); i += 2) {
    out[array.elements[i].str] = array.elements[i + 1].str;
  }
  return out;
}

// Stream ids "ms-seq", compared numerically.
std::pair<uint64_t, uint64_t> ParseId(const std::string& id) {
  std::pair<std::string, std::string> parts =
      absl::StrSplit(id, absl::MaxSplits('-', 1));
  std::pair<uint64_t, uint64_t> out{0, 0};
  (void)absl::SimpleAtoi(parts.first, &out.first);
  (void)absl::SimpleAtoi(parts.second, &out.second);
  return out;
}

std::string Millis(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Milliseconds(d));
}

}  // namespace

StreamConsumer::StreamConsumer(sql::Database* db, redis::RedisClient* redis,
                               ConsumerOptions options, EventHandler handler)
    : db_(db),
      redis_(redis),
      options_(std::move(options)),
      handler_(std::move(handler)) {}

StreamConsumer::~StreamConsumer() { Stop(); }

absl::Status StreamConsumer::EnsureGroup() {
  auto created = redis_->Command(
      {"XGROUP", "CREATE", options_.stream, options_.group, "0", "MKSTREAM"});
  if (created.ok() ||
      absl::StrContains(created.status().message(), "BUSYGROUP")) {
    return absl::OkStatus();
  }
  return created.status();
}

absl::Status StreamConsumer::DeadLetter(
    const std::string& entry_id,
    const std::map<std::string, std::string>& fields,
    const std::string& reason) {
  std::vector<std::string> xadd = {"XADD",
                                   options_.stream + ".dead",
                                   "*",
                                   "original_id",
                                   entry_id,
                                   "group",
                                   options_.group,
                                   "reason",
                                   reason};
  for (const auto& [k, v] : fields) {
    xadd.push_back(k);
    xadd.push_back(v);
  }
  ASSIGN_OR_RETURN(
      auto replies,
      redis_->Pipeline(
          {xadd, {"XACK", options_.stream, options_.group, entry_id}}));
  for (const auto& r : replies) {
    if (r.is_error())
      return absl::UnavailableError("events: dead-letter failed");
  }
  last_error_.erase(entry_id);
  Consumed().Add({"dead_lettered"});
  log::Warning("events.dead_lettered", {{"stream", log::Id(options_.stream)},
                                        {"entry", log::Id(entry_id)}});
  return absl::OkStatus();
}

absl::StatusOr<bool> StreamConsumer::Handle(
    const std::string& entry_id,
    const std::map<std::string, std::string>& fields) {
  Event event;
  auto payload = fields.find("payload");
  if (payload == fields.end() || !event.ParseFromString(payload->second) ||
      event.id().empty()) {
    RETURN_IF_ERROR(DeadLetter(entry_id, fields, "payload does not parse"));
    return true;
  }
  bool duplicate = false;
  absl::Status handled = sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        duplicate = false;
        // The record goes first: its primary key makes a concurrent
        // duplicate wait for ours, then insert nothing. (Not a caught unique
        // violation: PostgreSQL aborts the whole transaction on one.)
        ASSIGN_OR_RETURN(
            int64_t inserted,
            tx.Execute(
                "INSERT INTO processed_events (consumer, event_id, "
                "processed_at_us) VALUES ($1, $2, $3) ON CONFLICT "
                "(consumer, event_id) DO NOTHING",
                {options_.group, event.id(), absl::ToUnixMicros(absl::Now())}));
        if (inserted == 0) {
          duplicate = true;
          return absl::OkStatus();
        }
        return handler_(tx, event);
      });
  if (!handled.ok()) {
    last_error_[entry_id] = std::string(handled.message()).substr(0, 500);
    Consumed().Add({"failed"});
    return false;
  }
  runtime::CrashPoint("consumer.before_ack");
  ASSIGN_OR_RETURN(
      redis::Reply ack,
      redis_->Command({"XACK", options_.stream, options_.group, entry_id}));
  last_error_.erase(entry_id);
  Consumed().Add({duplicate ? "duplicate" : "handled"});
  if (!duplicate && event.has_occur_time()) {
    const absl::Time occurred =
        absl::FromUnixSeconds(event.occur_time().seconds()) +
        absl::Nanoseconds(event.occur_time().nanos());
    EndToEndLag().Observe({}, absl::ToDoubleSeconds(absl::Now() - occurred));
  }
  return true;
}

absl::StatusOr<int> StreamConsumer::HandleEntries(const redis::Reply& entries) {
  int acked = 0;
  for (const redis::Reply& entry : entries.elements) {
    if (entry.elements.size() < 2 || entry.elements[1].is_nil()) continue;
    ASSIGN_OR_RETURN(bool done,
                     Handle(entry.elements[0].str, Fields(entry.elements[1])));
    if (done) ++acked;
  }
  return acked;
}

absl::StatusOr<int> StreamConsumer::DeadLetterExhausted() {
  ASSIGN_OR_RETURN(redis::Reply pending,
                   redis_->Command({"XPENDING", options_.stream, options_.group,
                                    "IDLE", Millis(options_.claim_idle), "-",
                                    "+", absl::StrCat(options_.batch_size)}));
  int dead = 0;
  for (const redis::Reply& p : pending.elements) {
    if (p.elements.size() < 4) continue;
    const std::string& id = p.elements[0].str;
    if (p.elements[3].integer < options_.max_deliveries) continue;
    ASSIGN_OR_RETURN(redis::Reply range,
                     redis_->Command({"XRANGE", options_.stream, id, id}));
    std::map<std::string, std::string> fields;
    if (!range.elements.empty() && range.elements[0].elements.size() >= 2) {
      fields = Fields(range.elements[0].elements[1]);
    }
    auto reason = last_error_.find(id);
    RETURN_IF_ERROR(
        DeadLetter(id, fields,
                   reason != last_error_.end()
                       ? reason->second
                       : absl::StrCat("not handled after ",
                                      p.elements[3].integer, " deliveries")));
    ++dead;
  }
  return dead;
}

absl::StatusOr<int> StreamConsumer::PollOnce() {
  ASSIGN_OR_RETURN(int acked, DeadLetterExhausted());
  // Entries a dead consumer left pending.
  ASSIGN_OR_RETURN(
      redis::Reply claimed,
      redis_->Command({"XAUTOCLAIM", options_.stream, options_.group,
                       options_.consumer, Millis(options_.claim_idle), "0-0",
                       "COUNT", absl::StrCat(options_.batch_size)}));
  if (claimed.elements.size() >= 2) {
    ASSIGN_OR_RETURN(int n, HandleEntries(claimed.elements[1]));
    acked += n;
  }
  ASSIGN_OR_RETURN(
      redis::Reply read,
      redis_->Command({"XREADGROUP", "GROUP", options_.group, options_.consumer,
                       "COUNT", absl::StrCat(options_.batch_size), "BLOCK",
                       Millis(options_.block), "STREAMS", options_.stream,
                       ">"}));
  for (const redis::Reply& stream : read.elements) {
    if (stream.elements.size() < 2) continue;
    ASSIGN_OR_RETURN(int n, HandleEntries(stream.elements[1]));
    acked += n;
  }
  if (auto summary =
          redis_->Command({"XPENDING", options_.stream, options_.group});
      summary.ok() && !summary->elements.empty()) {
    PendingGauge().store(static_cast<double>(summary->elements[0].integer));
  }
  return acked;
}

void StreamConsumer::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    // The group is (re)created whenever Redis lacks it: at start, after a
    // Redis restart without persistence, or once the stream is deleted.
    bool group_ready = false;
    bool failing = false;
    while (!stop_.HasBeenNotified()) {
      absl::Status status = group_ready ? PollOnce().status() : EnsureGroup();
      if (status.ok()) {
        if (failing) log::Info("events.poll_recovered");
        group_ready = true;
        failing = false;
        continue;
      }
      if (absl::StrContains(status.message(), "NOGROUP")) group_ready = false;
      // One line per outage, not one per retry.
      if (!failing) {
        log::Warning("events.poll_failed",
                     {{"error", log::ScrubbedText(status.message())}});
      }
      failing = true;
      stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200));
    }
  });
}

void StreamConsumer::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int64_t> TrimStream(redis::RedisClient& redis,
                                   const std::string& stream) {
  ASSIGN_OR_RETURN(redis::Reply groups,
                   redis.Command({"XINFO", "GROUPS", stream}));
  if (groups.elements.empty()) return 0;  // nobody has read it: keep all
  std::optional<std::pair<uint64_t, uint64_t>> bound;
  std::string bound_id;
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
    if (!bound.has_value() || ParseId(keep_from) < *bound) {
      bound = ParseId(keep_from);
      bound_id = keep_from;
    }
  }
  ASSIGN_OR_RETURN(redis::Reply trimmed,
                   redis.Command({"XTRIM", stream, "MINID", bound_id}));
  return trimmed.integer;
}

}  // namespace training::events

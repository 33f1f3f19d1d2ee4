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
  static auto& family = []() -> metrics::CounterFamily& {
    auto& f = metrics::DefaultRegistry().Counter(
        "training_events_consumed_total", "Stream entries handled, by outcome.",
        {"outcome"});
    // Every outcome from zero, so that alerts see the first dead letter.
    for (const char* outcome : {"handled", "duplicate", "failed", "retry_later",
                                "dead_lettered", "for_another_group"}) {
      f.Child({outcome});
    }
    return f;
  }();
  return family;
}

metrics::HistogramFamily& EndToEndLag() {
  static auto& family = metrics::DefaultRegistry().Histogram(
      "training_events_lag_seconds",
      "From an event's occur_time to its handling.", {},
      {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 300, 900, 3600});
  return family;
}

// When a consumer of this process last finished a round without failing:
// a consumer that is stuck, or cannot reach Redis, stops moving it.
std::atomic<double>& LastSuccessfulPoll() {
  static std::atomic<double>* at = [] {
    auto* value = new std::atomic<double>(
        absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
    metrics::DefaultRegistry().Gauge(
        "training_events_last_poll_success_timestamp_seconds",
        "When an event consumer last finished a round without failing (Unix "
        "seconds).",
        [value] { return value->load(); });
    return value;
  }();
  return *at;
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

std::string Millis(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Milliseconds(d));
}

}  // namespace

StreamConsumer::StreamConsumer(sql::Database* db, redis::RedisClient* redis,
                               ConsumerOptions options, EventHandler handler,
                               EventCommitted committed)
    : db_(db),
      redis_(redis),
      options_(std::move(options)),
      handler_(std::move(handler)),
      committed_(std::move(committed)),
      retries_key_(absl::StrCat(options_.stream, ".retries.", options_.group)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()) {
  Consumed();  // every outcome exported from zero
}

bool IsTransientFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

absl::Status StreamConsumer::Acknowledge(const std::string& entry_id) {
  ASSIGN_OR_RETURN(
      std::vector<redis::Reply> replies,
      redis_->Pipeline({{"XACK", options_.stream, options_.group, entry_id},
                        {"HDEL", retries_key_, entry_id}}));
  for (const redis::Reply& reply : replies) {
    if (reply.is_error()) {
      return absl::UnavailableError("events: acknowledgement failed");
    }
  }
  last_error_.erase(entry_id);
  last_transient_error_.erase(entry_id);
  return absl::OkStatus();
}

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
    // A replayed entry's address is not part of the event.
    if (k == "for_group" || k == "replay_of") continue;
    xadd.push_back(k);
    xadd.push_back(v);
  }
  ASSIGN_OR_RETURN(redis::Reply added, redis_->Command(xadd));
  if (added.is_error()) {
    return absl::UnavailableError("events: dead-letter failed");
  }
  RETURN_IF_ERROR(Acknowledge(entry_id));
  Consumed().Add({"dead_lettered"});
  log::Warning("events.dead_lettered", {{"stream", log::Id(options_.stream)},
                                        {"entry", log::Id(entry_id)}});
  return absl::OkStatus();
}

absl::StatusOr<bool> StreamConsumer::Handle(
    const std::string& entry_id,
    const std::map<std::string, std::string>& fields) {
  // A replayed dead letter is for the group that set it aside only.
  if (auto for_group = fields.find("for_group");
      for_group != fields.end() && for_group->second != options_.group) {
    RETURN_IF_ERROR(Acknowledge(entry_id));
    Consumed().Add({"for_another_group"});
    return true;
  }
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
            tx.Execute("INSERT INTO processed_events (consumer, event_id, "
                       "processed_at_us) VALUES ($1, $2, $3) ON CONFLICT "
                       "(consumer, event_id) DO NOTHING",
                       {options_.group, event.id(),
                        absl::ToUnixMicros(clock_->Now())}));
        if (inserted == 0) {
          duplicate = true;
          return absl::OkStatus();
        }
        return handler_(tx, event);
      });
  if (!handled.ok()) {
    if (absl::IsInvalidArgument(handled)) {
      // The event itself is out of range (a capacity, a time, a name, or
      // a value the database refuses): set aside at once, with the reason
      // scrubbed as external text is (a database's message may quote the
      // refused value).
      RETURN_IF_ERROR(
          DeadLetter(entry_id, fields, log::Scrub(handled.message())));
      return true;
    }
    if (IsTransientFailure(handled)) {
      // Not the event's fault: this delivery is taken off its count. (If
      // Redis cannot take the tally either, the delivery counts; an outage
      // of both costs at most one delivery per claim.) The tallies expire
      // together once none has been added for longer than an entry can
      // wait, so that a tally orphaned by a race goes too.
      last_transient_error_[entry_id] =
          std::string(handled.message()).substr(0, 500);
      (void)redis_->Pipeline(
          {{"HINCRBY", retries_key_, entry_id, "1"},
           {"EXPIRE", retries_key_,
            absl::StrCat(absl::ToInt64Seconds(options_.give_up_after +
                                              absl::Hours(24)))}});
      Consumed().Add({"retry_later"});
    } else {
      // The reason given if the entry is dead-lettered.
      last_error_[entry_id] = std::string(handled.message()).substr(0, 500);
      Consumed().Add({"failed"});
    }
    return false;
  }
  if (!duplicate && committed_) committed_(event);
  runtime::CrashPoint("consumer.before_ack");
  RETURN_IF_ERROR(Acknowledge(entry_id));
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
  // Deliveries that failed transiently do not count.
  std::vector<std::string> tallies = {"HMGET", retries_key_};
  for (const redis::Reply& p : pending.elements) {
    if (p.elements.size() >= 4) tallies.push_back(p.elements[0].str);
  }
  std::map<std::string, int64_t> transient;
  if (tallies.size() > 2) {
    ASSIGN_OR_RETURN(redis::Reply counts, redis_->Command(tallies));
    for (size_t i = 0; i < counts.elements.size(); ++i) {
      int64_t n = 0;
      if (absl::SimpleAtoi(counts.elements[i].str, &n)) {
        transient[tallies[i + 2]] = n;
      }
    }
  }
  int dead = 0;
  const absl::Time now = clock_->Now();
  for (const redis::Reply& p : pending.elements) {
    if (p.elements.size() < 4) continue;
    const std::string& id = p.elements[0].str;
    const int64_t counted = p.elements[3].integer - transient[id];
    int64_t added_ms = 0;
    (void)absl::SimpleAtoi(id.substr(0, id.find('-')), &added_ms);
    const absl::Duration age = now - absl::FromUnixMillis(added_ms);
    std::string reason;
    if (counted >= options_.max_deliveries) {
      auto verdict = last_error_.find(id);
      reason = verdict != last_error_.end()
                   ? verdict->second
                   : absl::StrCat("not handled after ", counted, " deliveries");
    } else if (transient[id] > 0 && age >= options_.give_up_after) {
      auto last = last_transient_error_.find(id);
      reason = absl::StrCat(
          "still failing ",
          absl::FormatDuration(absl::Trunc(age, absl::Minutes(1))),
          " after it was added",
          last != last_transient_error_.end() ? ": " + last->second : "");
    } else {
      continue;
    }
    ASSIGN_OR_RETURN(redis::Reply range,
                     redis_->Command({"XRANGE", options_.stream, id, id}));
    std::map<std::string, std::string> fields;
    if (!range.elements.empty() && range.elements[0].elements.size() >= 2) {
      fields = Fields(range.elements[0].elements[1]);
    }
    RETURN_IF_ERROR(DeadLetter(id, fields, reason));
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
                       options_.consumer, Millis(options_.claim_idle),
                       claim_cursor_, "COUNT",
                       absl::StrCat(options_.batch_size)}));
  if (!claimed.elements.empty() && !claimed.elements[0].str.empty()) {
    claim_cursor_ = claimed.elements[0].str;  // 0-0 once the scan is done
  }
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
  LastSuccessfulPoll();  // exported from the start
  thread_ = std::thread([this] {
    // The group is (re)created whenever Redis lacks it: at start, after a
    // Redis restart without persistence, or once the stream is deleted.
    bool group_ready = false;
    bool failing = false;
    while (!stop_.HasBeenNotified()) {
      absl::Status status = group_ready ? PollOnce().status() : EnsureGroup();
      if (status.ok()) {
        LastSuccessfulPoll().store(
            absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
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

}  // namespace training::events

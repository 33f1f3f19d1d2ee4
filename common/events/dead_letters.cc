#include "common/events/dead_letters.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/retention.h"
#include "common/status_macros.h"

namespace training::events {
namespace {

// Fields of a dead letter that the consumer added, not the event's own.
bool IsMarker(const std::string& field) {
  return field == "original_id" || field == "group" || field == "reason";
}

struct Entry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;

  std::string Field(const std::string& name) const {
    for (const auto& [k, v] : fields) {
      if (k == name) return v;
    }
    return "";
  }
};

// Up to `limit` entries of `<stream>.dead` from `start` (an id, or `(id`
// for those after it) to `end` (an id, or + for the newest), oldest first.
absl::StatusOr<std::vector<Entry>> ReadDead(redis::RedisClient& redis,
                                            const std::string& stream,
                                            const std::string& start,
                                            const std::string& end, int limit) {
  ASSIGN_OR_RETURN(redis::Reply range,
                   redis.Command({"XRANGE", stream + ".dead", start, end,
                                  "COUNT", absl::StrCat(limit)}));
  std::vector<Entry> entries;
  for (const redis::Reply& item : range.elements) {
    if (item.elements.size() < 2) continue;
    Entry& entry = entries.emplace_back();
    entry.id = item.elements[0].str;
    const auto& fields = item.elements[1].elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      entry.fields.emplace_back(fields[i].str, fields[i + 1].str);
    }
  }
  return entries;
}

}  // namespace

absl::StatusOr<std::vector<DeadLetter>> ListDeadLetters(
    redis::RedisClient& redis, const std::string& stream, absl::Time since,
    int limit) {
  ASSIGN_OR_RETURN(std::vector<Entry> entries,
                   ReadDead(redis, stream, StreamIdAt(since), "+", limit));
  std::vector<DeadLetter> letters;
  for (const Entry& entry : entries) {
    DeadLetter& letter = letters.emplace_back();
    letter.id = entry.id;
    int64_t millis = 0;
    (void)absl::SimpleAtoi(entry.id.substr(0, entry.id.find('-')), &millis);
    letter.dead_time = absl::FromUnixMillis(millis);
    letter.group = entry.Field("group");
    letter.original_id = entry.Field("original_id");
    letter.event_id = entry.Field("id");
    letter.type = entry.Field("type");
    letter.reason = entry.Field("reason");
  }
  return letters;
}

absl::StatusOr<int> ReplayDeadLetters(redis::RedisClient& redis,
                                      const std::string& stream,
                                      absl::Time since,
                                      const std::string& group) {
  constexpr int kPage = 100;
  int replayed = 0;
  // Only what is there now: an entry set aside again while this runs
  // waits for the next replay.
  ASSIGN_OR_RETURN(
      redis::Reply newest,
      redis.Command({"XREVRANGE", stream + ".dead", "+", "-", "COUNT", "1"}));
  if (newest.elements.empty()) return 0;
  const std::string last = newest.elements[0].elements[0].str;
  std::string start = StreamIdAt(since);
  while (true) {
    ASSIGN_OR_RETURN(std::vector<Entry> entries,
                     ReadDead(redis, stream, start, last, kPage));
    for (const Entry& entry : entries) {
      const std::string set_aside_by = entry.Field("group");
      // A letter with no group could be addressed to nobody (every group
      // would acknowledge it unhandled): it stays where it is.
      if (set_aside_by.empty()) continue;
      if (!group.empty() && set_aside_by != group) continue;
      std::vector<std::string> xadd = {"XADD", stream, "*"};
      for (const auto& [k, v] : entry.fields) {
        if (IsMarker(k)) continue;
        xadd.push_back(k);
        xadd.push_back(v);
      }
      xadd.insert(xadd.end(),
                  {"for_group", set_aside_by, "replay_of", entry.id});
      ASSIGN_OR_RETURN(std::vector<redis::Reply> replies,
                       redis.Pipeline({{"MULTI"},
                                       xadd,
                                       {"XDEL", stream + ".dead", entry.id},
                                       {"EXEC"}}));
      if (replies.size() != 4 || replies[3].is_error() ||
          replies[3].elements.size() != 2 ||
          replies[3].elements[0].is_error()) {
        return absl::UnavailableError("events: a dead letter was not replayed");
      }
      ++replayed;
    }
    if (entries.size() < static_cast<size_t>(kPage)) return replayed;
    start = "(" + entries.back().id;
  }
}

}  // namespace training::events

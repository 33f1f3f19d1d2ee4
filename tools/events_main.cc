// training_events: the event pipeline's dead letters, from a shell.
//
//   training_events dead-letters <redis_url> <stream> [since]
//       lists the dead letters of <stream> set aside since <since>: entry
//       id, time, group, event type and id, reason (never a payload).
//   training_events replay <redis_url> <stream> <since> [group]
//       puts those dead letters (only <group>'s, when given) back on
//       <stream>, each for the consumer group that set it aside, and
//       removes them from the dead letters; prints how many.
//
// <since> is an RFC 3339 time (2026-12-01T00:00:00Z) or a duration back
// from now (48h, 30m); dead-letters defaults to 720h (their retention).
// Exit status: 0 done, 1 Redis failed, 2 bad usage.

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/events/dead_letters.h"
#include "common/redis/redis_client.h"

namespace {

constexpr char kUsage[] =
    "usage: training_events dead-letters <redis_url> <stream> [since]\n"
    "       training_events replay <redis_url> <stream> <since> [group]\n"
    "<since>: RFC 3339 time, or a duration back from now (48h)\n";

bool ParseSince(const std::string& text, absl::Time* since) {
  absl::Duration back;
  if (absl::ParseDuration(text, &back) && back >= absl::ZeroDuration()) {
    *since = absl::Now() - back;
    return true;
  }
  std::string error;
  return absl::ParseTime(absl::RFC3339_full, text, since, &error);
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "training_events: %s\n",
               std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  namespace events = training::events;
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 ||
                    std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const std::string command = argc > 1 ? argv[1] : "";
  const bool list = command == "dead-letters" && (argc == 4 || argc == 5);
  const bool replay = command == "replay" && (argc == 5 || argc == 6);
  absl::Time since = absl::Now() - absl::Hours(24 * 30);
  if ((!list && !replay) || (argc >= 5 && !ParseSince(argv[4], &since))) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto redis = training::redis::RedisClient::Create(argv[2]);
  if (!redis.ok()) return Fail(redis.status());
  const std::string stream = argv[3];
  if (list) {
    auto letters = events::ListDeadLetters(**redis, stream, since);
    if (!letters.ok()) return Fail(letters.status());
    for (const events::DeadLetter& letter : *letters) {
      std::printf("%s\t%s\tgroup=%s\ttype=%s\tevent=%s\treason=%s\n",
                  letter.id.c_str(),
                  absl::FormatTime(absl::RFC3339_sec, letter.dead_time,
                                   absl::UTCTimeZone())
                      .c_str(),
                  letter.group.c_str(), letter.type.c_str(),
                  letter.event_id.c_str(), letter.reason.c_str());
    }
    return 0;
  }
  auto replayed = events::ReplayDeadLetters(**redis, stream, since,
                                            argc == 6 ? argv[5] : "");
  if (!replayed.ok()) return Fail(replayed.status());
  std::printf("replayed %d\n", *replayed);
  return 0;
}

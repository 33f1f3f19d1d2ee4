// Nothing lost, nothing doubled: a thousand bookings while one of two
// notification replicas on PostgreSQL is killed at each named crash point
// in turn, and the relay first answers 451 to everything, then cuts every
// connection at DATA. After recovery the SMTP server holds exactly one
// distinct Message-ID per expected message (each confirmation, and each
// reminder that came due meanwhile) and no recipient has two of a kind. A
// copy under the same Message-ID is the one window README names (the
// relay took it and the sender died before recording it); it is counted
// and shown, not failed.

#include <signal.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/notification_process_fixture.h"

namespace training::testing {
namespace {

constexpr int kSessions = 5;
constexpr int kPerSession = 200;
constexpr int kSendersPerReplica = 2;  // --senders's default
// The first session's reminder (--reminder_offsets) comes due this long
// after its bookings, while the replicas are being killed.
constexpr absl::Duration kReminderDueAfter = absl::Seconds(40);

class NotificationFaultsTest : public NotificationProcessTest {
 protected:
  // A replica with the test's flags: retries that outlast the relay's
  // outage, and a reminder 47 hours before the start.
  Process Replica(const std::string& name, const std::string& crash_at) {
    return StartNotification(crash_at, name,
                             {"--max_attempts=100000", "--reminder_offsets=47h",
                              "--joining_lead=1h"},
                             /*wait_for_port=*/crash_at.empty());
  }

  // Starts replica A to die at `point`, does `meanwhile` (what makes A
  // reach it), and waits until A has died there (watchdog).
  void KillAt(
      const std::string& point,
      const std::function<void()>& meanwhile = [] {}) {
    SCOPED_TRACE(point);
    const absl::Time start = absl::Now();
    replica_a_ = Replica("notification-a", point);
    meanwhile();
    const std::optional<int> code = replica_a_.child->Wait(kWatchdog);
    const bool alive = kill(replica_a_.child->pid(), 0) == 0;
    EXPECT_FALSE(code.has_value() || alive)
        << "A did not die at " << point << ": " << replica_a_.child->Log();
    ++kills_;
    std::cout << "A died at " << point << " after " << (absl::Now() - start)
              << "\n";
  }

  Process replica_a_;
  int kills_ = 0;
};

TEST_P(NotificationFaultsTest, NothingLostNothingDoubled) {
  // The fixture's replica goes: both of this test's carry its flags.
  notification_ = Process();
  Process replica_b = Replica("notification-b", "");
  ASSERT_NE(replica_b.port, 0);
  replica_a_ = Replica("notification-a", "");
  ASSERT_NE(replica_a_.port, 0);

  const absl::Time first_start =
      absl::Now() + absl::Hours(47) + kReminderDueAfter;
  std::vector<std::string> sessions = {
      CreateSessionAt(first_start, kPerSession)};
  for (int i = 1; i < kSessions; ++i) {
    sessions.push_back(
        CreateSessionAt(absl::Now() + absl::Hours(24 * (40 + i)), kPerSession));
  }
  // The relay refuses everything for a while.
  SetRelayRules(R"([{"recipient":"*","code":451}])");
  std::vector<booking::Booking> booked;
  auto book = [&](int s) {
    Run run = BookConcurrently({booking_stub_.get()}, sessions[s], kPerSession,
                               4, 1000 + s * kPerSession);
    EXPECT_EQ(run.failures, 0);
    booked.insert(booked.end(), run.replies.begin(), run.replies.end());
  };
  book(0);
  const absl::Time reminder_due = first_start - absl::Hours(47);
  ASSERT_LT(absl::Now(), reminder_due) << "booked too slowly: the first "
                                          "session's reminders would not be "
                                          "due";
  // A takes its share of the stream while these bookings are made.
  KillAt("consumer.before_ack", [&] { book(1); });
  KillAt("notification.before_smtp");
  // Then the relay cuts every connection at the end of DATA.
  SetRelayRules(R"([{"recipient":"*","drop":true,"at":"DATA"}])");
  KillAt("notification.before_smtp", [&] { book(2); });
  absl::SleepFor(absl::Seconds(3));
  // Then it recovers.
  SetRelayRules("[]");
  KillAt("notification.after_smtp_accept", [&] { book(3); });
  KillAt("notification.after_mark_sent", [&] { book(4); });
  // A is there when the first session's reminders come due. They all come
  // due at once, and B alone can settle the lot between two of A's polls,
  // so B is paused until A has claimed one and died holding its lease.
  ASSERT_EQ(kill(replica_b.child->pid(), SIGSTOP), 0);
  KillAt("notification.after_claim_due", [&] {
    const absl::Duration until_due = reminder_due - absl::Now();
    if (until_due > absl::ZeroDuration()) absl::SleepFor(until_due);
  });
  ASSERT_EQ(kill(replica_b.child->pid(), SIGCONT), 0);
  replica_a_ = Replica("notification-a", "");
  ASSERT_NE(replica_a_.port, 0);
  ASSERT_EQ(kills_, 6);

  // Expected: a confirmation to each person, and a reminder to each on the
  // first session.
  ASSERT_EQ(booked.size(), static_cast<size_t>(kSessions * kPerSession));
  std::map<std::string, int> expected;  // address → messages
  for (const booking::Booking& b : booked) {
    expected[b.attendee().email()] += b.session() == sessions[0] ? 2 : 1;
  }
  size_t total = 0;
  for (const auto& [address, n] : expected) total += n;
  EXPECT_EQ(total, static_cast<size_t>(kSessions * kPerSession + kPerSession));

  // After recovery: every expected message at the server.
  std::map<std::string, std::set<std::string>> ids;  // address → ids
  std::map<std::string, int> copies;                 // id → acceptances
  const absl::Time deadline = absl::Now() + absl::Minutes(5);
  size_t distinct = 0;
  while (absl::Now() < deadline) {
    ids.clear();
    copies.clear();
    for (const Mail& m : StoredMail()) {
      ASSERT_EQ(m.rcpt_tos.size(), 1u);
      ids[m.rcpt_tos[0]].insert(m.message_id);
      ++copies[m.message_id];
    }
    distinct = copies.size();
    if (distinct >= total) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_EQ(distinct, total) << replica_a_.child->Log();
  for (const auto& [address, n] : expected) {
    EXPECT_EQ(ids[address].size(), static_cast<size_t>(n)) << address;
  }
  EXPECT_EQ(ids.size(), expected.size()) << "mail to nobody expected";
  // The one window: a message the relay took whose sender died (any of
  // A's senders, at each kill) before recording it goes again, under its
  // Message-ID; a mailbox shows it once.
  int doubled = 0;
  for (const auto& [id, n] : copies) {
    EXPECT_LE(n, 2) << id;
    doubled += n - 1;
  }
  EXPECT_LE(doubled, kills_ * kSendersPerReplica);
  std::cout << "messages: " << total << " expected, " << distinct
            << " distinct Message-IDs, " << doubled
            << " copies under a Message-ID already taken\n";
}

INSTANTIATE_TEST_SUITE_P(PostgresOnly, NotificationFaultsTest,
                         sql::testing::PostgresOnly(),
                         sql::testing::EngineParamName());

}  // namespace
}  // namespace training::testing

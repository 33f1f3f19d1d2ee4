// Nothing lost: a thousand booking events while the receiver answers 500
// for a while and the notification process is killed at each named crash
// point of the webhook path in turn (not at random times). Afterwards every
// event has exactly one webhook-id, every webhook-id was accepted, and a
// copy under a webhook-id already accepted comes only from the one window
// the worker names (the receiver answered 2xx and the sender died before
// recording it). Meanwhile a subscription whose receiver always fails is
// disabled at the threshold, without holding the healthy one back.

#include <signal.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/webhook_process_fixture.h"

namespace training::testing {
namespace {

constexpr int kBatches = 5;
constexpr int kPerBatch = 200;
constexpr int kDisableAfter = 5;
// Longer than the healthy receiver's outage below, which must not disable
// its subscription; the broken one's failures outlast it.
constexpr absl::Duration kDisablePeriod = absl::Seconds(90);

class WebhookFaultsTest : public WebhookProcessTest {
 protected:
  Process Replica(const std::string& crash_at) {
    return StartNotification(
        crash_at, "notification-w",
        WebhookFlags(
            // The schedule (108 s) outlasts the disable period, so that
            // the broken receiver's failures run on until it is disabled.
            {"--webhook_retry_schedule=1s,2s,3s,6s,6s,6s,6s,6s,6s,"
             "6s,6s,6s,6s,6s,6s,6s,6s,6s,6s,6s",
             absl::StrCat("--webhook_disable_after_failures=", kDisableAfter),
             absl::StrCat("--webhook_disable_after=",
                          absl::FormatDuration(kDisablePeriod))}),
        /*wait_for_port=*/crash_at.empty());
  }

  // Starts the replica to die at `point`, books a batch (what makes it
  // reach the point), and waits until it has died there (watchdog).
  void KillAt(const std::string& point, int batch) {
    SCOPED_TRACE(point);
    const absl::Time start = absl::Now();
    notification_ = Replica(point);
    Run run = BookConcurrently({booking_stub_.get()}, session_, kPerBatch, 4,
                               1000 + batch * kPerBatch);
    EXPECT_EQ(run.failures, 0);
    booked_.insert(booked_.end(), run.replies.begin(), run.replies.end());
    const std::optional<int> code = notification_.child->Wait(kWatchdog);
    const bool alive = kill(notification_.child->pid(), 0) == 0;
    EXPECT_FALSE(code.has_value() || alive)
        << "it did not die at " << point << ": " << notification_.child->Log();
    std::cout << "killed at " << point << " after " << (absl::Now() - start)
              << "\n";
  }

  std::string session_;
  std::vector<booking::Booking> booked_;
};

TEST_P(WebhookFaultsTest, EveryEventIsAcceptedOnceUnderOneWebhookId) {
  notification_ = Process();
  const Receiver& receiver = StartReceiver("receiver");
  const Receiver& broken = StartReceiver("broken");
  broken.SetRules({{"status", 500}});
  session_ = CreateSession(kBatches * kPerBatch);

  notification_ = Replica("");
  ASSERT_NE(notification_.port, 0);
  auto stub = WebhookStub(notification_);
  const notification::Webhook hook =
      Subscribe(*stub, kAdminKey, receiver.url(),
                {"training.events.v1.BookingConfirmed"});
  const notification::Webhook failing = Subscribe(
      *stub, kAdminKey, broken.url(), {"training.events.v1.BookingConfirmed"});
  receiver.SetSecrets({hook.secret()});
  broken.SetSecrets({failing.secret()});
  notification_.child->Signal(SIGKILL);
  notification_.child->Wait(kWatchdog);

  // The receiver answers 500 to everything while the replica dies in the
  // consumer, in the fan-out and before a POST.
  receiver.SetRules({{"status", 500}});
  const absl::Time outage_start = absl::Now();
  KillAt("consumer.before_ack", 0);
  KillAt("webhooks.after_fan_out", 1);
  KillAt("webhooks.before_post", 2);
  // A replica that lives until a batch's worth of deliveries has failed;
  // then it stops (not a fault: SIGTERM).
  notification_ = Replica("");
  ASSERT_NE(notification_.port, 0);
  WaitForLog(receiver, [](const std::vector<Received>& log) {
    std::set<std::string> failed;
    for (const Received& r : log) {
      if (r.status == 500) failed.insert(r.id);
    }
    return failed.size() >= kPerBatch;
  });
  notification_.child->Signal(SIGTERM);
  notification_.child->Wait(kWatchdog);
  KillAt("webhooks.after_record", 3);
  // Recovered: a success is needed to reach the last point.
  receiver.SetRules(nlohmann::json::object());
  const absl::Time recovered_at = absl::Now();
  ASSERT_LT(recovered_at - outage_start, kDisablePeriod)
      << "the outage outlasted the disable period on this machine";
  KillAt("webhooks.after_post", 4);
  receiver.SetRules(nlohmann::json::object());
  notification_ = Replica("");
  ASSERT_NE(notification_.port, 0);
  ASSERT_EQ(booked_.size(), static_cast<size_t>(kBatches * kPerBatch));

  // Every booking's event accepted.
  std::set<std::string> expected;
  for (const booking::Booking& b : booked_) expected.insert(b.name());
  std::map<std::string, int> accepted;               // webhook-id → 2xx
  std::map<std::string, std::set<std::string>> ids;  // event id → webhook-ids
  std::set<std::string> heard;                       // bookings
  const absl::Time deadline = absl::Now() + absl::Minutes(5);
  while (absl::Now() < deadline) {
    accepted.clear();
    ids.clear();
    heard.clear();
    for (const Received& r : receiver.Log()) {
      ASSERT_TRUE(r.body.is_object()) << r.id;
      ids[r.body["id"]].insert(r.id);
      if (r.status != 200) continue;
      EXPECT_THAT(r.verified_by, ::testing::ElementsAre(0));
      ++accepted[r.id];
      heard.insert(r.body["bookingConfirmed"]["booking"]);
    }
    if (heard.size() >= expected.size()) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_EQ(heard, expected) << notification_.child->Log();
  EXPECT_EQ(ids.size(), expected.size());
  for (const auto& [event, webhook_ids] : ids) {
    EXPECT_EQ(webhook_ids.size(), 1u) << "event " << event;
  }
  int copies = 0;
  for (const auto& [id, n] : accepted) copies += n - 1;
  // Only the replica killed after a 2xx, before recording it, sends one
  // again: one delivery per sender thread at most.
  EXPECT_LE(copies, 4);
  int refused = 0;
  for (const Received& r : receiver.Log()) refused += r.status == 500;
  EXPECT_GE(refused, kPerBatch);
  std::cout << "events: " << expected.size()
            << ", webhook-ids accepted: " << accepted.size()
            << ", copies under an accepted id: " << copies
            << ", answered 500: " << refused
            << ", requests: " << receiver.Log().size() << "\n";

  // The healthy subscription's outage was shorter than the disable
  // period: it is still active.
  stub = WebhookStub(notification_);
  notification::GetWebhookRequest get;
  get.set_name(hook.name());
  notification::Webhook seen;
  ASSERT_TRUE(stub->GetWebhook(Context(kAdminKey).get(), get, &seen).ok());
  EXPECT_EQ(seen.state(), notification::Webhook::ACTIVE) << seen.DebugString();
  EXPECT_EQ(seen.consecutive_failures(), 0);
  std::cout << "the healthy receiver answered 500 for "
            << (recovered_at - outage_start) << "\n";
  // The subscription that never succeeded is disabled once its failures
  // span the period, and gets no more.
  get.set_name(failing.name());
  ASSERT_FALSE(broken.Log().empty());
  const absl::Time first_broken_failure =
      absl::FromUnixMicros(static_cast<int64_t>(broken.Log()[0].time * 1e6));
  const absl::Time disable_deadline =
      first_broken_failure + kDisablePeriod + kWatchdog;
  do {
    ASSERT_TRUE(stub->GetWebhook(Context(kAdminKey).get(), get, &seen).ok());
    if (seen.state() == notification::Webhook::DISABLED) break;
    absl::SleepFor(absl::Milliseconds(500));
  } while (absl::Now() < disable_deadline);
  EXPECT_EQ(seen.state(), notification::Webhook::DISABLED)
      << seen.DebugString();
  EXPECT_THAT(seen.disabled_reason(), ::testing::HasSubstr("HTTP 500"));
  const std::vector<Received> broken_log = broken.Log();
  const size_t broken_requests = broken_log.size();
  // The attempt that disabled it came a whole period after the first
  // failure (the receiver's clock on both; slack for the time a loaded
  // machine takes between an attempt's start and its arrival).
  EXPECT_GE(broken_log.back().time - broken_log.front().time,
            absl::ToDoubleSeconds(kDisablePeriod) - 10)
      << broken_requests << " requests";
  EXPECT_GE(broken_requests, static_cast<size_t>(kDisableAfter));
  absl::SleepFor(absl::Seconds(3));
  EXPECT_EQ(broken.Log().size(), broken_requests);
}

INSTANTIATE_TEST_SUITE_P(PostgresOnly, WebhookFaultsTest,
                         sql::testing::PostgresOnly(),
                         sql::testing::EngineParamName());

}  // namespace
}  // namespace training::testing

// Scheduled messages against a real database (both engines), with an
// injected clock and booking and the catalogue played by a fake directory:
// reminders that must not go (cancelled, booked late, session cancelled),
// reminders that move with their session, two replicas and a replica that
// died holding a claim, joining instructions to confirmed places only.

#include "services/notification/scheduler.h"

#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "services/notification/scheduler_test_fixture.h"

namespace training::notification::testing {
namespace {

TEST_P(SchedulerTest, RemindersGoAtTheirTimesAndOnlyThen) {
  directory_.AddBooking("AAAA1111", "sam@example.org");
  Confirm("AAAA1111");
  EXPECT_EQ(Deliveries(v1::REMINDER, v1::Delivery::SCHEDULED).size(), 2u);
  auto scheduler = NewScheduler("replica-a");
  clock_.Set(kStart - absl::Hours(14 * 24) - absl::Minutes(1));
  SettleAll(*scheduler);
  EXPECT_TRUE(Deliveries(v1::REMINDER, v1::Delivery::QUEUED).empty());
  clock_.Set(kStart - absl::Hours(14 * 24));
  SettleAll(*scheduler);
  std::vector<v1::Delivery> queued =
      Deliveries(v1::REMINDER, v1::Delivery::QUEUED);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].booking(), "bookings/AAAA1111");
  EXPECT_EQ(queued[0].masked_recipient(), "s***@example.org");
  EXPECT_TRUE(absl::StrContains(MessageOf(queued[0]), "This is a reminder"));
  clock_.Set(kStart - absl::Hours(48));
  SettleAll(*scheduler);
  EXPECT_EQ(Deliveries(v1::REMINDER, v1::Delivery::QUEUED).size(), 2u);
  EXPECT_TRUE(Deliveries(v1::REMINDER, v1::Delivery::SCHEDULED).empty());
}

TEST_P(SchedulerTest, AReminderADayLateIsDroppedAndTheNextGoes) {
  directory_.AddBooking("AAAA1111", "sam@example.org");
  Confirm("AAAA1111");
  // The service was down from before the first reminder's time until the
  // second's.
  clock_.Set(kStart - absl::Hours(47));
  SettleAll(*NewScheduler("replica-a"));
  std::vector<v1::Delivery> queued =
      Deliveries(v1::REMINDER, v1::Delivery::QUEUED);
  ASSERT_EQ(queued.size(), 1u);
  std::vector<v1::Delivery> dropped =
      Deliveries(v1::REMINDER, v1::Delivery::CANCELLED);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].last_error(), "its time had passed by more than a day");
}

TEST_P(SchedulerTest, CancelledBeforeItsTimeGetsNone) {
  directory_.AddBooking("AAAA1111", "sam@example.org");
  directory_.AddBooking("BBBB2222", "kim@example.org");
  Confirm("AAAA1111");
  Confirm("BBBB2222");
  // One cancellation arrives as a fact; the other's fact is still on its
  // way when the reminder is due, and booking says so.
  events::v1::Event cancelled;
  cancelled.set_subject("bookings/AAAA1111");
  cancelled.mutable_booking_cancelled()->set_booking("bookings/AAAA1111");
  cancelled.mutable_booking_cancelled()->set_session(kSession);
  cancelled.mutable_booking_cancelled()->set_previous_state("confirmed");
  Compose(cancelled);
  directory_.SetState("BBBB2222", booking::Booking::CANCELLED);
  clock_.Set(kStart - absl::Hours(1));
  SettleAll(*NewScheduler("replica-a"));
  EXPECT_TRUE(Deliveries(v1::REMINDER, v1::Delivery::QUEUED).empty());
  std::vector<v1::Delivery> cancelled_ones =
      Deliveries(v1::REMINDER, v1::Delivery::CANCELLED);
  ASSERT_EQ(cancelled_ones.size(), 4u);
  std::set<std::string> reasons;
  for (const v1::Delivery& d : cancelled_ones) reasons.insert(d.last_error());
  EXPECT_EQ(reasons, (std::set<std::string>{"the booking was cancelled",
                                            "the place is no longer "
                                            "confirmed"}));
}

TEST_P(SchedulerTest, BookedAfterAReminderTimeGetsOnlyTheLaterOne) {
  clock_.Set(kStart - absl::Hours(5 * 24));
  directory_.AddBooking("AAAA1111", "sam@example.org");
  Confirm("AAAA1111");
  std::vector<v1::Delivery> scheduled =
      Deliveries(v1::REMINDER, v1::Delivery::SCHEDULED);
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(FromProto(scheduled[0].scheduled_send_time()),
            kStart - absl::Hours(48));
  clock_.Set(kStart - absl::Hours(47));
  SettleAll(*NewScheduler("replica-a"));
  EXPECT_EQ(Deliveries(v1::REMINDER, v1::Delivery::QUEUED).size(), 1u);
}

TEST_P(SchedulerTest, ATimeChangeMovesTheReminders) {
  directory_.AddBooking("AAAA1111", "sam@example.org");
  Confirm("AAAA1111");
  const absl::Time later = kStart + absl::Hours(7 * 24);
  directory_.SetSession(kSession, later, false);
  events::v1::Event changed;
  changed.set_subject(kSession);
  catalogue::v1::Session* session =
      changed.mutable_session_changed()->mutable_session();
  session->set_name(kSession);
  *session->mutable_start_time() = ToProto(later);
  *session->mutable_end_time() = ToProto(later + absl::Hours(3));
  changed.mutable_session_changed()->add_changes(events::v1::TIME);
  Compose(changed);
  std::set<absl::Time> due;
  for (const v1::Delivery& d :
       Deliveries(v1::REMINDER, v1::Delivery::SCHEDULED)) {
    due.insert(FromProto(d.scheduled_send_time()));
  }
  EXPECT_EQ(due, (std::set<absl::Time>{later - absl::Hours(14 * 24),
                                       later - absl::Hours(48)}));
  auto scheduler = NewScheduler("replica-a");
  clock_.Set(kStart - absl::Hours(14 * 24));  // the first's old time
  SettleAll(*scheduler);
  EXPECT_TRUE(Deliveries(v1::REMINDER, v1::Delivery::QUEUED).empty());
  clock_.Set(later - absl::Hours(14 * 24));
  SettleAll(*scheduler);
  EXPECT_EQ(Deliveries(v1::REMINDER, v1::Delivery::QUEUED).size(), 1u);
  clock_.Set(kStart - absl::Hours(48));  // the second's old time
  SettleAll(*scheduler);
  EXPECT_EQ(Deliveries(v1::REMINDER, v1::Delivery::QUEUED).size(), 1u);
  clock_.Set(later - absl::Hours(48));
  SettleAll(*scheduler);
  EXPECT_EQ(Deliveries(v1::REMINDER, v1::Delivery::QUEUED).size(), 2u);
}

TEST_P(SchedulerTest, ACancelledSessionGetsNone) {
  directory_.AddBooking("AAAA1111", "sam@example.org");
  directory_.AddBooking("BBBB2222", "kim@example.org",
                        "courses/intro-mi/sessions/s2");
  directory_.SetSession("courses/intro-mi/sessions/s2", kStart, false);
  Confirm("AAAA1111");
  events::v1::Event confirmed;
  confirmed.set_subject("bookings/BBBB2222");
  confirmed.mutable_booking_confirmed()->set_booking("bookings/BBBB2222");
  confirmed.mutable_booking_confirmed()->set_session(
      "courses/intro-mi/sessions/s2");
  Compose(confirmed);
  // s1's cancellation arrives as a fact; s2's is only known to the
  // catalogue when the reminders come due.
  events::v1::Event cancelled;
  cancelled.set_subject(kSession);
  cancelled.mutable_session_cancelled()->set_session(kSession);
  Compose(cancelled);
  directory_.CancelSession("courses/intro-mi/sessions/s2");
  clock_.Set(kStart - absl::Hours(1));
  SettleAll(*NewScheduler("replica-a"));
  EXPECT_TRUE(Deliveries(v1::REMINDER, v1::Delivery::QUEUED).empty());
  EXPECT_EQ(Deliveries(v1::REMINDER, v1::Delivery::CANCELLED).size(), 4u);
}

TEST_P(SchedulerTest, TwoReplicasRenderEachOnce) {
  constexpr int kBookings = 30;
  for (int i = 0; i < kBookings; ++i) {
    const std::string reference = absl::StrCat("REF", 10000 + i);
    directory_.AddBooking(reference, absl::StrCat("p", i, "@example.org"));
    Confirm(reference);
  }
  auto a = NewScheduler("replica-a");
  auto b = NewScheduler("replica-b");
  // Both replicas at once when each reminder comes due.
  for (absl::Duration before : {absl::Hours(14 * 24), absl::Hours(48)}) {
    clock_.Set(kStart - before);
    std::thread ta([&] { SettleAll(*a); });
    std::thread tb([&] { SettleAll(*b); });
    ta.join();
    tb.join();
  }
  std::vector<v1::Delivery> queued =
      Deliveries(v1::REMINDER, v1::Delivery::QUEUED);
  EXPECT_EQ(queued.size(), 2u * kBookings);
  std::map<std::string, int> per_booking;
  std::set<std::string> message_ids;
  for (const v1::Delivery& d : queued) {
    ++per_booking[d.booking()];
    EXPECT_TRUE(message_ids.insert(d.message_id()).second) << d.message_id();
  }
  EXPECT_EQ(per_booking.size(), static_cast<size_t>(kBookings));
  for (const auto& [name, n] : per_booking) EXPECT_EQ(n, 2) << name;
  EXPECT_TRUE(Deliveries(v1::REMINDER, v1::Delivery::SCHEDULED).empty());
}

TEST_P(SchedulerTest, AReplicaThatDiedHoldingAClaimIsReplacedOnce) {
  directory_.AddBooking("AAAA1111", "sam@example.org");
  clock_.Set(kStart - absl::Hours(3 * 24));  // one reminder only
  Confirm("AAAA1111");
  clock_.Set(kStart - absl::Hours(47));
  // Replica A claims it and dies before rendering.
  absl::StatusOr<std::optional<DueMessage>> claimed =
      store_->ClaimDue("replica-a", clock_.Now(), absl::Seconds(60));
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  auto b = NewScheduler("replica-b");
  SettleAll(*b);
  EXPECT_TRUE(Deliveries(v1::REMINDER, v1::Delivery::QUEUED).empty())
      << "taken over while A's lease ran";
  clock_.Advance(absl::Seconds(61));
  SettleAll(*b);
  std::vector<v1::Delivery> queued =
      Deliveries(v1::REMINDER, v1::Delivery::QUEUED);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].message_id(), (*claimed)->message_id)
      << "the Message-ID given when scheduled";
  // A comes back and finishes what it started: nothing changes.
  absl::StatusOr<bool> late =
      store_->CancelDue(**claimed, "replica-a", "late", clock_.Now());
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(*late);
  EXPECT_EQ(Deliveries(v1::REMINDER, v1::Delivery::QUEUED).size(), 1u);
}

TEST_P(SchedulerTest, JoiningInstructionsCarryTheLinkToConfirmedPlacesOnly) {
  directory_.SetSession(kSession, kStart, true);
  directory_.AddBooking("AAAA1111", "sam@example.org");
  directory_.AddBooking("BBBB2222", "kim@example.org");
  Confirm("AAAA1111");
  Confirm("BBBB2222");
  directory_.SetState("BBBB2222", booking::Booking::CANCELLED);
  clock_.Set(kStart - absl::Hours(24));
  SettleAll(*NewScheduler("replica-a"));
  std::vector<v1::Delivery> queued =
      Deliveries(v1::JOINING_INSTRUCTIONS, v1::Delivery::QUEUED);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].booking(), "bookings/AAAA1111");
  EXPECT_TRUE(
      absl::StrContains(MessageOf(queued[0]), "https://meet.example.org/abc"));
}

TRAINING_ON_BOTH_ENGINES(SchedulerTest);

}  // namespace
}  // namespace training::notification::testing

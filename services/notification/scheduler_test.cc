// Scheduled messages against a real database (both engines), with an
// injected clock and booking and the catalogue played by a fake directory:
// reminders that must not go (cancelled, booked late, session cancelled),
// reminders that move with their session, two replicas and a replica that
// died holding a claim, feedback only to those who came, no-show notices
// only under a policy, and the feedback opt-out.

#include "services/notification/scheduler.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sql/testing/engines.h"
#include "common/time/proto_time.h"
#include "gtest/gtest.h"
#include "services/notification/composer.h"

namespace training::notification {
namespace {

namespace booking = training::booking::v1;

const absl::Time kStart =
    absl::FromCivil(absl::CivilMinute(2027, 3, 30, 9, 30), absl::UTCTimeZone());
constexpr char kSession[] = "courses/intro-mi/sessions/s1";

// Booking and the catalogue as the scheduler sees them.
class FakeDirectory final : public Directory {
 public:
  absl::StatusOr<booking::AttendeeContact> Contact(
      const std::string& name, const std::string&) override {
    absl::MutexLock lock(&mu_);
    auto it = contacts_.find(name);
    if (it == contacts_.end()) return absl::NotFoundError("no booking");
    return it->second;
  }
  absl::StatusOr<booking::ListSessionBookingsResponse> ConfirmedBookings(
      const std::string&, const std::string&) override {
    return booking::ListSessionBookingsResponse();
  }
  absl::StatusOr<SessionDetails> Session(const std::string& name,
                                         bool with_joining_link) override {
    absl::MutexLock lock(&mu_);
    auto it = sessions_.find(name);
    if (it == sessions_.end()) return absl::NotFoundError("no session");
    SessionDetails s = it->second;
    if (!with_joining_link) s.joining_url.clear();
    return s;
  }
  absl::StatusOr<booking::BookingAccess> CheckAccess(
      const std::string&, const std::string&) override {
    return absl::UnimplementedError("not used");
  }
  absl::StatusOr<std::string> CourseTitle(const std::string&) override {
    return "Introduction to Motivational Interviewing";
  }
  absl::StatusOr<std::optional<std::string>> NoShowPolicy(
      const std::string&) override {
    absl::MutexLock lock(&mu_);
    return no_show_policy_;
  }

  void AddBooking(const std::string& reference, const std::string& email,
                  const std::string& session = kSession) {
    booking::AttendeeContact c;
    c.set_booking(absl::StrCat("bookings/", reference));
    c.set_reference(reference);
    c.set_display_name("Sam Patel");
    c.set_email(email);
    c.set_manage_token("token");
    c.set_session(session);
    c.set_state(booking::Booking::CONFIRMED);
    absl::MutexLock lock(&mu_);
    contacts_[c.booking()] = c;
  }
  void SetState(const std::string& reference, booking::Booking::State state) {
    absl::MutexLock lock(&mu_);
    contacts_[absl::StrCat("bookings/", reference)].set_state(state);
  }
  void SetAttendance(const std::string& reference,
                     booking::Attendance attendance) {
    absl::MutexLock lock(&mu_);
    contacts_[absl::StrCat("bookings/", reference)].set_attendance(attendance);
  }
  void SetSession(const std::string& name, absl::Time start, bool online) {
    absl::MutexLock lock(&mu_);
    sessions_[name] = SessionDetails{
        .title = "Introduction to Motivational Interviewing",
        .start = start,
        .end = start + absl::Hours(3),
        .time_zone = "Europe/London",
        .online = online,
        .address = online ? "" : "Room 1, County Hall",
        .joining_url = online ? "https://meet.example.org/abc" : "",
        .course = "courses/intro-mi"};
  }
  void CancelSession(const std::string& name) {
    absl::MutexLock lock(&mu_);
    sessions_[name].cancelled = true;
  }
  void SetNoShowPolicy(std::optional<std::string> policy) {
    absl::MutexLock lock(&mu_);
    no_show_policy_ = std::move(policy);
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, booking::AttendeeContact> contacts_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, SessionDetails> sessions_ ABSL_GUARDED_BY(mu_);
  std::optional<std::string> no_show_policy_ ABSL_GUARDED_BY(mu_);
};

class SchedulerTest : public ::testing::TestWithParam<sql::Engine> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> url =
        sql::testing::NewTestDatabaseUrl(GetParam());
    ASSERT_TRUE(url.ok()) << url.status();
    absl::StatusOr<std::shared_ptr<sql::Database>> db =
        sql::Database::Open(*url);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *db;
    absl::StatusOr<std::string> spec = auth::HmacKeys::NewSpec("test");
    ASSERT_TRUE(spec.ok());
    absl::StatusOr<auth::HmacKeys> keys = auth::HmacKeys::Parse(*spec);
    ASSERT_TRUE(keys.ok());
    keys_ = std::make_unique<auth::HmacKeys>(*std::move(keys));
    absl::StatusOr<std::unique_ptr<NotificationStore>> store =
        NotificationStore::Open(db_.get(), keys_.get());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ASSERT_TRUE(store_->SeedDefaultTemplates(clock_.Now()).ok());
    composer_ = std::make_unique<Composer>(
        store_.get(), &directory_, &clock_,
        ComposerOptions{.max_fact_age = absl::Hours(24 * 400),
                        .owner = "composer"});
    directory_.SetSession(kSession, kStart, false);
  }

  std::unique_ptr<Scheduler> NewScheduler(const std::string& owner) {
    return std::make_unique<Scheduler>(
        store_.get(), &directory_, &clock_, keys_.get(),
        SchedulerOptions{.lease = absl::Seconds(60), .owner = owner});
  }

  // Keeps `event` as a fact and composes it.
  void Compose(events::v1::Event event) {
    event.set_id(absl::StrCat("event-", ++events_));
    *event.mutable_occur_time() = ToProto(clock_.Now());
    ASSERT_TRUE(sql::RunInTransaction(*db_, sql::TxMode::kWrite,
                                      [&](sql::Transaction& tx) {
                                        return NotificationStore::AddFact(
                                            tx, event);
                                      })
                    .ok());
    absl::StatusOr<bool> composed = composer_->ComposeOne();
    ASSERT_TRUE(composed.ok()) << composed.status();
    ASSERT_TRUE(*composed);
  }

  void Confirm(const std::string& reference) {
    events::v1::Event e;
    e.set_subject(absl::StrCat("bookings/", reference));
    e.mutable_booking_confirmed()->set_booking(e.subject());
    e.mutable_booking_confirmed()->set_session(kSession);
    Compose(e);
  }

  // Settles every due message with `scheduler`.
  void SettleAll(Scheduler& scheduler) {
    for (int i = 0; i < 1000; ++i) {
      absl::StatusOr<bool> settled = scheduler.SettleOne();
      ASSERT_TRUE(settled.ok()) << settled.status();
      if (!*settled) return;
    }
    FAIL() << "never ran out of due messages";
  }

  std::vector<v1::Delivery> Deliveries(v1::MessageKind kind,
                                       v1::Delivery::State state) {
    DeliveryFilter filter;
    filter.kinds = {kind};
    filter.states = {state};
    absl::StatusOr<std::vector<v1::Delivery>> list =
        store_->ListDeliveries(filter, std::nullopt, 1000);
    EXPECT_TRUE(list.ok()) << list.status();
    return list.value_or(std::vector<v1::Delivery>{});
  }

  // The stored text of a queued delivery, quoted-printable decoded.
  std::string MessageOf(const v1::Delivery& d) {
    const std::string raw = RawMessageOf(d);
    std::string text;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '=') {
        text += raw[i];
      } else if (raw.compare(i + 1, 2, "\r\n") == 0) {
        i += 2;  // a soft line break
      } else if (i + 2 < raw.size() && std::isxdigit(raw[i + 1]) &&
                 std::isxdigit(raw[i + 2])) {
        text += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        text += raw[i];
      }
    }
    return text;
  }

  std::string RawMessageOf(const v1::Delivery& d) {
    std::string text;
    EXPECT_TRUE(sql::RunInTransaction(
                    *db_, sql::TxMode::kRead,
                    [&](sql::Transaction& tx) -> absl::Status {
                      auto rows = tx.Query(
                          "SELECT message FROM deliveries WHERE id = $1",
                          {d.name().substr(d.name().find('/') + 1)});
                      if (!rows.ok()) return rows.status();
                      auto blob = rows->GetBlob(0, "message");
                      if (!blob.ok()) return blob.status();
                      text = blob->bytes;
                      return absl::OkStatus();
                    })
                    .ok());
    return text;
  }

  FakeClock clock_{kStart - absl::Hours(24 * 30)};
  FakeDirectory directory_;
  std::shared_ptr<sql::Database> db_;
  std::unique_ptr<auth::HmacKeys> keys_;
  std::unique_ptr<NotificationStore> store_;
  std::unique_ptr<Composer> composer_;
  int events_ = 0;
};

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

class AfterSessionTest : public SchedulerTest {
 protected:
  void Attendance(const std::vector<std::string>& attended,
                  const std::vector<std::string>& no_shows) {
    events::v1::Event e;
    e.set_subject(kSession);
    e.mutable_attendance_recorded()->set_session(kSession);
    for (const std::string& r : attended) {
      e.mutable_attendance_recorded()->add_attended_bookings(
          absl::StrCat("bookings/", r));
      directory_.SetAttendance(r, booking::ATTENDED);
    }
    for (const std::string& r : no_shows) {
      e.mutable_attendance_recorded()->add_no_show_bookings(
          absl::StrCat("bookings/", r));
      directory_.SetAttendance(r, booking::NO_SHOW);
    }
    Compose(e);
  }
};

TEST_P(AfterSessionTest, FeedbackOnlyToThoseWhoCame) {
  directory_.AddBooking("AAAA1111", "sam@example.org");
  directory_.AddBooking("BBBB2222", "kim@example.org");
  directory_.AddBooking("CCCC3333", "lee@example.org");
  clock_.Set(kStart + absl::Hours(3));
  Attendance({"AAAA1111", "CCCC3333"}, {"BBBB2222"});
  Attendance({"AAAA1111", "CCCC3333"}, {"BBBB2222"});  // recorded again
  // Corrected before the request went: Lee did not come after all.
  directory_.SetAttendance("CCCC3333", booking::NO_SHOW);
  auto scheduler = NewScheduler("replica-a");
  SettleAll(*scheduler);
  EXPECT_TRUE(Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::QUEUED).empty())
      << "not before an hour after the end";
  clock_.Advance(absl::Hours(1));
  SettleAll(*scheduler);
  std::vector<v1::Delivery> queued =
      Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::QUEUED);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].booking(), "bookings/AAAA1111");
  std::vector<v1::Delivery> cancelled =
      Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::CANCELLED);
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].booking(), "bookings/CCCC3333");
  EXPECT_EQ(cancelled[0].last_error(), "not marked as attended");
  EXPECT_TRUE(Deliveries(v1::NO_SHOW_NOTICE, v1::Delivery::SCHEDULED).empty())
      << "no policy, no notice";
  EXPECT_TRUE(Deliveries(v1::NO_SHOW_NOTICE, v1::Delivery::QUEUED).empty());
}

TEST_P(AfterSessionTest, NoShowNoticeOnlyUnderThePolicy) {
  directory_.SetNoShowPolicy(
      "After two no-shows in a year, new bookings need the team's "
      "agreement.");
  directory_.AddBooking("AAAA1111", "sam@example.org");
  directory_.AddBooking("BBBB2222", "kim@example.org");
  clock_.Set(kStart + absl::Hours(30));  // recorded the next day
  Attendance({"AAAA1111"}, {"BBBB2222"});
  SettleAll(*NewScheduler("replica-a"));
  std::vector<v1::Delivery> notices =
      Deliveries(v1::NO_SHOW_NOTICE, v1::Delivery::QUEUED);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].booking(), "bookings/BBBB2222");
  EXPECT_TRUE(absl::StrContains(MessageOf(notices[0]), "After two no-shows"));
  ASSERT_EQ(Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::QUEUED).size(), 1u);
}

TEST_P(AfterSessionTest, AnOptOutIsRespected) {
  directory_.AddBooking("AAAA1111", "Sam@Example.org");
  clock_.Set(kStart + absl::Hours(5));
  Attendance({"AAAA1111"}, {});
  auto scheduler = NewScheduler("replica-a");
  SettleAll(*scheduler);
  std::vector<v1::Delivery> queued =
      Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::QUEUED);
  ASSERT_EQ(queued.size(), 1u);
  // The link in the message opts the address out.
  const std::string text = MessageOf(queued[0]);
  const std::string marker = "/feedback/opt-out/";
  const size_t at = text.find(marker);
  ASSERT_NE(at, std::string::npos) << text;
  std::string token = text.substr(at + marker.size());
  token = token.substr(0, token.find_first_of("\r\n"));
  absl::StatusOr<std::string> id = CheckFeedbackOptOutToken(*keys_, token);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(absl::StrCat("deliveries/", *id), queued[0].name());
  EXPECT_FALSE(CheckFeedbackOptOutToken(*keys_, *id + ".forged").ok());
  ASSERT_TRUE(store_->OptOutOfDelivery(*id, clock_.Now()).ok());
  // The same person (any case of the address) on another session.
  const std::string other = "courses/intro-mi/sessions/s2";
  directory_.SetSession(other, kStart + absl::Hours(24 * 7), false);
  directory_.AddBooking("DDDD4444", "sam@example.ORG", other);
  directory_.SetAttendance("DDDD4444", booking::ATTENDED);
  clock_.Set(kStart + absl::Hours(24 * 7 + 5));
  events::v1::Event e;
  e.set_subject(other);
  e.mutable_attendance_recorded()->set_session(other);
  e.mutable_attendance_recorded()->add_attended_bookings("bookings/DDDD4444");
  Compose(e);
  SettleAll(*scheduler);
  EXPECT_EQ(Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::QUEUED).size(), 1u);
  std::vector<v1::Delivery> cancelled =
      Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::CANCELLED);
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].last_error(),
            "the recipient opted out of feedback requests");
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
TRAINING_ON_BOTH_ENGINES(AfterSessionTest);

}  // namespace
}  // namespace training::notification

#ifndef TRAINING_SERVICES_NOTIFICATION_SCHEDULER_TEST_FIXTURE_H_
#define TRAINING_SERVICES_NOTIFICATION_SCHEDULER_TEST_FIXTURE_H_

// The scheduled-message tests' world: a real database (both engines), an
// injected clock, a composer fed events by hand, and booking and the
// catalogue played by a fake directory.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/sql/testing/engines.h"
#include "common/time/clock.h"
#include "common/time/proto_time.h"
#include "gtest/gtest.h"
#include "services/notification/composer.h"
#include "services/notification/scheduler.h"

namespace training::notification::testing {

namespace booking = training::booking::v1;

inline const absl::Time kStart =
    absl::FromCivil(absl::CivilMinute(2027, 3, 30, 9, 30), absl::UTCTimeZone());
inline constexpr char kSession[] = "courses/intro-mi/sessions/s1";

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

}  // namespace training::notification::testing

#endif  // TRAINING_SERVICES_NOTIFICATION_SCHEDULER_TEST_FIXTURE_H_

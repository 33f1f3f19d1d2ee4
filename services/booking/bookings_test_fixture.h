#ifndef TRAINING_SERVICES_BOOKING_BOOKINGS_TEST_FIXTURE_H_
#define TRAINING_SERVICES_BOOKING_BOOKINGS_TEST_FIXTURE_H_

// What the booking service's store-backed tests share: a real database
// (both engines), a real Redis, a fake clock and catalogue, a Bookings, and
// helpers to schedule sessions, book, read and count.

#include <functional>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/events/outbox.h"
#include "common/redis/testing_redis_server.h"
#include "common/sql/testing/test_databases.h"
#include "common/status/errors.h"
#include "common/testing/status_matchers.h"
#include "common/time/proto_time.h"
#include "gtest/gtest.h"
#include "services/booking/bookings.h"
#include "services/booking/catalogue_facts.h"
#include "services/booking/redis_availability_cache.h"
#include "services/booking/store_sql.h"

namespace training::booking {

namespace catalogue = training::catalogue::v1;
namespace type = training::type::v1;
using ::training::testing::IsOk;

inline const absl::Time kNow = absl::FromUnixSeconds(1800000000);
inline constexpr char kSession[] = "courses/intro-mi/sessions/s1";

inline Caller Public() { return Caller{}; }
inline Caller Admin() {
  Caller c;
  c.kind = Caller::Kind::kAdmin;
  return c;
}
inline Caller Holder(const std::string& token) {
  Caller c;
  c.kind = Caller::Kind::kTokenHolder;
  c.manage_token = token;
  return c;
}

inline std::string Uuid(int n) {
  return absl::StrFormat("00000000-0000-4000-8000-%012d", n);
}

inline v1::Attendee Person(const std::string& email,
                           type::AgencyType agency = type::HEALTH) {
  v1::Attendee a;
  a.set_display_name("Alex Morgan");
  a.set_email(email);
  a.set_organisation("Northshire NHS Trust");
  a.set_agency_type(agency);
  a.set_job_role("Health visitor");
  a.set_access_needs("Step-free access");
  a.set_consent_given(true);
  return a;
}

inline catalogue::Course Course(
    catalogue::Course::State state = catalogue::Course::PUBLISHED) {
  catalogue::Course c;
  c.set_name("courses/intro-mi");
  c.set_state(state);
  c.add_eligible_agency_types(type::HEALTH);
  c.add_eligible_agency_types(type::EDUCATION);
  *c.mutable_late_cancellation_window() = ToProto(absl::Hours(48));
  *c.mutable_update_time() = ToProto(kNow - absl::Hours(100));
  return c;
}

inline catalogue::Session CatalogueSession(const std::string& name,
                                           int capacity, absl::Time updated) {
  catalogue::Session s;
  s.set_name(name);
  s.set_state(catalogue::Session::SCHEDULED);
  s.set_capacity(capacity);
  *s.mutable_booking_open_time() = ToProto(kNow - absl::Hours(24));
  *s.mutable_booking_close_time() = ToProto(kNow + absl::Hours(24 * 10));
  *s.mutable_start_time() = ToProto(kNow + absl::Hours(24 * 10));
  *s.mutable_end_time() = ToProto(kNow + absl::Hours(24 * 10 + 3));
  *s.mutable_update_time() = ToProto(updated);
  return s;
}

// The catalogue as booking sees it in tests: sessions put here are found.
class FakeDirectory final : public SessionDirectory {
 public:
  absl::StatusOr<std::pair<SessionFacts, CourseRules>> Lookup(
      const std::string& session, const Caller& caller) override {
    std::function<void(const Caller&)> hook;
    {
      absl::MutexLock lock(&mu_);
      ++lookups_;
      hook = hook_;
    }
    if (hook) hook(caller);
    absl::MutexLock lock(&mu_);
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return absl::NotFoundError("no such session");
    absl::StatusOr<SessionFacts> facts = FactsFromCatalogue(it->second);
    absl::StatusOr<CourseRules> rules = RulesFromCatalogue(Course());
    if (!facts.ok()) return facts.status();
    if (!rules.ok()) return rules.status();
    return std::make_pair(*std::move(facts), *std::move(rules));
  }
  void Put(const catalogue::Session& session) {
    absl::MutexLock lock(&mu_);
    sessions_[session.name()] = session;
  }
  int lookups() {
    absl::MutexLock lock(&mu_);
    return lookups_;
  }
  // Called in each look-up, after it is counted: tests hold look-ups there.
  void SetLookupHookForTest(std::function<void(const Caller&)> hook) {
    absl::MutexLock lock(&mu_);
    hook_ = std::move(hook);
  }

 private:
  absl::Mutex mu_;
  std::function<void(const Caller&)> hook_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, catalogue::Session> sessions_ ABSL_GUARDED_BY(mu_);
  int lookups_ ABSL_GUARDED_BY(mu_) = 0;
};

class BookingsFixture : public ::testing::TestWithParam<sql::Engine> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_server_.Start());
    auto redis = redis::RedisClient::Create(redis_server_.url());
    ASSERT_THAT(redis, IsOk());
    redis_ = *std::move(redis);
    auto url = sql::testing::NewTestDatabaseUrl(GetParam());
    ASSERT_THAT(url, IsOk());
    auto db = sql::Database::Open(*url + (GetParam() == sql::Engine::kPostgres
                                              ? "?pool_size=16"
                                              : "?readers=8"));
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    auto store = SqlBookingStore::Open(db_.get());
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    auto tokens = ManageTokens::Parse(*ManageTokens::NewSpec("t1"));
    ASSERT_THAT(tokens, IsOk());
    tokens_ = std::make_unique<ManageTokens>(*std::move(tokens));
    auto address_keys = auth::HmacKeys::Parse(*auth::HmacKeys::NewSpec("a1"));
    ASSERT_THAT(address_keys, IsOk());
    address_keys_ = std::make_unique<auth::HmacKeys>(*std::move(address_keys));
    cache_ = std::make_unique<RedisAvailabilityCache>(redis_.get(),
                                                      absl::Seconds(60));
    bookings_ = std::make_unique<Bookings>(store_.get(), &clock_, Keys(),
                                           &directory_, cache_.get());
    Schedule(kSession, 3);
  }

  // Announces a session (and its published course) as the catalogue would.
  // `later` moves the session's start and end (not its booking window).
  void Schedule(const std::string& name, int capacity,
                absl::Duration later = absl::ZeroDuration()) {
    events::v1::Event event;
    catalogue::Session session =
        CatalogueSession(name, capacity, kNow - absl::Hours(50));
    *session.mutable_start_time() =
        ToProto(FromProto(session.start_time()) + later);
    *session.mutable_end_time() =
        ToProto(FromProto(session.end_time()) + later);
    *event.mutable_session_scheduled()->mutable_session() = session;
    *event.mutable_session_scheduled()->mutable_course() = Course();
    ASSERT_THAT(Apply(event), IsOk());
  }

  absl::Status Apply(const events::v1::Event& event) {
    std::vector<SessionInventory> changed;
    absl::Status applied =
        store_->Run(BookingStore::Mode::kWrite, [&](BookingTransaction& tx) {
          changed.clear();
          return bookings_->ApplyCatalogueEvent(tx, event, changed);
        });
    if (applied.ok()) bookings_->AfterCatalogueEvent(changed);
    return applied;
  }

  absl::Status ChangeCapacity(int capacity) {
    events::v1::Event event;
    *event.mutable_session_changed()->mutable_session() = CatalogueSession(
        kSession, capacity, kNow - absl::Hours(40) + absl::Seconds(++changes_));
    event.mutable_session_changed()->add_changes(events::v1::CAPACITY);
    return Apply(event);
  }

  absl::StatusOr<v1::Booking> Book(const std::string& email, int request,
                                   const std::string& session = kSession,
                                   type::AgencyType agency = type::HEALTH) {
    v1::CreateBookingRequest r;
    r.set_request_id(Uuid(request));
    r.mutable_booking()->set_session(session);
    *r.mutable_booking()->mutable_attendee() = Person(email, agency);
    return bookings_->CreateBooking(Public(), r);
  }

  absl::StatusOr<v1::Booking> Get(const std::string& name) {
    v1::GetBookingRequest r;
    r.set_name(name);
    return bookings_->GetBooking(Admin(), r);
  }

  // The booking as an admin sees it now; a failed read fails the test
  // and gives an empty booking (never a value that is not there).
  v1::Booking Current(const std::string& name) {
    absl::StatusOr<v1::Booking> booking = Get(name);
    EXPECT_TRUE(booking.ok()) << booking.status();
    return booking.value_or(v1::Booking());
  }

  // The ErrorInfo reason of `status`; "" when it has none.
  static std::string ReasonOf(const absl::Status& status) {
    std::optional<ErrorInfo> info = GetErrorInfo(status);
    return info ? info->reason : "";
  }

  absl::StatusOr<v1::Booking> Cancel(const std::string& name,
                                     const Caller& caller = Admin()) {
    v1::CancelBookingRequest r;
    r.set_name(name);
    return bookings_->CancelBooking(caller, r);
  }

  int64_t Scalar(const std::string& sql) {
    auto tx = db_->Begin(sql::TxMode::kRead);
    if (!tx.ok()) return -1;
    auto rows = (*tx)->Query(sql);
    return rows.ok() ? rows->GetInt64(0, "n").value_or(-1) : -1;
  }

  std::string Snapshot() {
    return absl::StrCat(
        Scalar("SELECT COUNT(*) AS n FROM bookings"), "/",
        Scalar("SELECT COALESCE(SUM(version), 0) AS n FROM bookings"), "/",
        Scalar("SELECT COALESCE(SUM(version), 0) AS n FROM inventory"), "/",
        Scalar("SELECT COUNT(*) AS n FROM requests"), "/",
        Scalar("SELECT COALESCE(SUM(event_count), 0) AS n FROM outbox"), "/",
        Scalar("SELECT COUNT(*) AS n FROM substitutions"));
  }

  // The invariants that must hold whatever happened: counts match the rows,
  // nobody is confirmed beyond capacity unless capacity was lowered under
  // them, and no free place is left while someone waits.
  void ExpectInvariants(const std::string& session = kSession) {
    const std::string where = absl::StrCat("session = '", session, "'");
    const int64_t confirmed = Scalar(absl::StrCat(
        "SELECT COUNT(*) AS n FROM bookings WHERE state = 1 AND ", where));
    const int64_t waiting = Scalar(absl::StrCat(
        "SELECT COUNT(*) AS n FROM bookings WHERE state = 2 AND ", where));
    EXPECT_EQ(Scalar(absl::StrCat("SELECT confirmed AS n FROM inventory WHERE ",
                                  where)),
              confirmed);
    EXPECT_EQ(Scalar(absl::StrCat("SELECT waiting AS n FROM inventory WHERE ",
                                  where)),
              waiting);
    const int64_t capacity = Scalar(
        absl::StrCat("SELECT capacity AS n FROM inventory WHERE ", where));
    if (confirmed < capacity) {
      EXPECT_EQ(waiting, 0) << "a free place was left";
    }
  }

  redis::testing::RedisServer redis_server_;
  std::unique_ptr<redis::RedisClient> redis_;
  FakeClock clock_{kNow};
  FakeDirectory directory_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<SqlBookingStore> store_;
  std::unique_ptr<ManageTokens> tokens_;
  std::unique_ptr<auth::HmacKeys> address_keys_;
  BookingKeys Keys() const { return {tokens_.get(), address_keys_.get()}; }
  std::unique_ptr<RedisAvailabilityCache> cache_;
  std::unique_ptr<Bookings> bookings_;
  int changes_ = 0;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_BOOKINGS_TEST_FIXTURE_H_

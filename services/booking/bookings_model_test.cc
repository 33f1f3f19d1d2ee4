// The booking core against a reference model of its rules (random
// operations, checked after every step) and under a storm of concurrent
// bookings and cancellations, on both engines.

#include <limits>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "common/random/secure_bytes.h"
#include "common/redis/testing_redis_server.h"
#include "common/runtime/worker_pool.h"
#include "common/sql/testing/engines.h"
#include "common/sql/testing/test_databases.h"
#include "common/status/errors.h"
#include "common/testing/status_matchers.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/booking/bookings_test_fixture.h"
#include "services/booking/store_sql.h"

namespace training::booking {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::training::testing::StatusIs;

class BookingsModelTest : public BookingsFixture {};

// Random book / cancel / substitute / leave / capacity changes, checked
// against a model of the rules after every step.
TEST_P(BookingsModelTest, RandomOperationsMatchAReferenceModel) {
  struct ModelBooking {
    std::string email;
    v1::Booking::State state;
  };
  std::map<std::string, ModelBooking> model;  // by name
  std::vector<std::string> queue;             // waiting, in order
  std::vector<std::string> names;             // every booking made
  int capacity = 3;
  auto confirmed_count = [&] {
    int n = 0;
    for (const auto& [name, b] : model) n += b.state == v1::Booking::CONFIRMED;
    return n;
  };
  auto active_email = [&](const std::string& email, const std::string& except) {
    for (const auto& [name, b] : model) {
      if (name != except && b.email == email &&
          (b.state == v1::Booking::CONFIRMED ||
           b.state == v1::Booking::WAITLISTED)) {
        return true;
      }
    }
    return false;
  };
  auto promote = [&] {
    while (confirmed_count() < capacity && !queue.empty()) {
      model[queue.front()].state = v1::Booking::CONFIRMED;
      queue.erase(queue.begin());
    }
  };

  std::mt19937 rng(20261123);
  auto pick = [&](int n) {
    return std::uniform_int_distribution<>(0, n - 1)(rng);
  };
  for (int step = 0; step < 250; ++step) {
    SCOPED_TRACE(absl::StrCat("step ", step));
    const int op = pick(10);
    const std::string email = absl::StrCat("p", pick(12), "@nhs.example");
    if (op < 4 || names.empty()) {
      auto made = Book(email, 1000 + step);
      if (active_email(email, "")) {
        EXPECT_THAT(made.status(), StatusIs(absl::StatusCode::kAlreadyExists));
      } else {
        ASSERT_THAT(made, IsOk());
        names.push_back(made->name());
        if (confirmed_count() < capacity) {
          model[made->name()] = {email, v1::Booking::CONFIRMED};
        } else {
          model[made->name()] = {email, v1::Booking::WAITLISTED};
          queue.push_back(made->name());
          EXPECT_EQ(made->waitlist_position(), static_cast<int>(queue.size()));
        }
        EXPECT_EQ(made->state(), model[made->name()].state);
      }
    } else if (op < 6) {
      const std::string& name = names[pick(names.size())];
      ASSERT_THAT(Cancel(name), IsOk());
      ModelBooking& b = model[name];
      if (b.state == v1::Booking::WAITLISTED) {
        queue.erase(std::find(queue.begin(), queue.end(), name));
      }
      if (b.state == v1::Booking::CONFIRMED ||
          b.state == v1::Booking::WAITLISTED) {
        b.state = v1::Booking::CANCELLED;
        promote();
      }
    } else if (op < 7) {
      const std::string& name = names[pick(names.size())];
      v1::SubstituteAttendeeRequest r;
      r.set_name(name);
      *r.mutable_attendee() = Person(email);
      auto substituted = bookings_->SubstituteAttendee(Admin(), r);
      ModelBooking& b = model[name];
      if (b.state != v1::Booking::CONFIRMED) {
        EXPECT_THAT(substituted.status(),
                    StatusIs(absl::StatusCode::kFailedPrecondition));
      } else if (active_email(email, name)) {
        EXPECT_THAT(substituted.status(),
                    StatusIs(absl::StatusCode::kAlreadyExists));
      } else {
        ASSERT_THAT(substituted, IsOk());
        b.email = email;
      }
    } else if (op < 8) {
      const std::string& name = names[pick(names.size())];
      v1::LeaveWaitlistRequest r;
      r.set_name(name);
      auto left = bookings_->LeaveWaitlist(Admin(), r);
      ModelBooking& b = model[name];
      if (b.state == v1::Booking::WAITLISTED) {
        ASSERT_THAT(left, IsOk());
        b.state = v1::Booking::LEFT_WAITLIST;
        queue.erase(std::find(queue.begin(), queue.end(), name));
      } else if (b.state != v1::Booking::LEFT_WAITLIST) {
        EXPECT_THAT(left.status(),
                    StatusIs(absl::StatusCode::kFailedPrecondition));
      }
    } else {
      capacity = 1 + pick(6);
      ASSERT_THAT(ChangeCapacity(capacity), IsOk());
      promote();
    }

    for (const auto& [name, expected] : model) {
      auto actual = Get(name);
      ASSERT_THAT(actual, IsOk());
      ASSERT_EQ(actual->state(), expected.state) << name;
      ASSERT_EQ(actual->attendee().email(), expected.email) << name;
      if (expected.state == v1::Booking::WAITLISTED) {
        const int position =
            std::find(queue.begin(), queue.end(), name) - queue.begin() + 1;
        ASSERT_EQ(actual->waitlist_position(), position) << name;
      }
    }
    ExpectInvariants();
  }
}

// Many threads book and cancel on one session at once; afterwards the
// counts match the rows, no place is left free while people wait, and no
// booking was promoted twice.
TEST_P(BookingsModelTest, AStormOfBookingsAndCancellationsKeepsTheInvariants) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<std::string> mine;
      for (int i = 0; i < kPerThread; ++i) {
        const int request = t * 1000 + i;
        if (mine.empty() || rng() % 3 != 0) {
          auto made =
              Book(absl::StrCat("t", t, "-", i, "@nhs.example"), request);
          if (made.ok()) {
            mine.push_back(made->name());
          } else {
            ++failures;
          }
        } else {
          const size_t k = rng() % mine.size();
          if (!Cancel(mine[k]).ok()) ++failures;
          mine.erase(mine.begin() + k);
        }
      }
    });
  }
  // While the storm runs: each look, one statement (one snapshot on both
  // engines), finds the session's counts equal to its rows, nobody
  // confirmed beyond the capacity and no place free while someone waits.
  std::atomic<bool> storming{true};
  std::atomic<int> looks{0}, broken{0}, unread{0};
  std::thread watcher([&] {
    const std::string where = absl::StrCat("session = '", kSession, "'");
    const std::string check = absl::StrCat(
        "SELECT CASE WHEN i.confirmed = (SELECT COUNT(*) FROM bookings WHERE "
        "state = 1 AND ",
        where,
        ") AND i.waiting = (SELECT COUNT(*) FROM "
        "bookings WHERE state = 2 AND ",
        where,
        ") AND i.confirmed <= i.capacity AND (i.confirmed = i.capacity OR "
        "i.waiting = 0) THEN 0 ELSE 1 END AS n FROM inventory i WHERE i.",
        where);
    while (storming.load()) {
      const int64_t bad = Scalar(check);
      if (bad == 1) ++broken;
      if (bad < 0) ++unread;  // no connection free in time: not a look
      ++looks;
    }
  });
  for (auto& thread : threads) thread.join();
  storming = false;
  watcher.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(looks.load() - unread.load(), 0);
  EXPECT_EQ(broken.load(), 0) << "of " << looks.load() << " looks";
  ExpectInvariants();
  EXPECT_LE(Scalar("SELECT COUNT(*) AS n FROM bookings WHERE state = 1"), 3);
  auto tx = db_->Begin(sql::TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto outbox = events::ReadOutbox(**tx);
  ASSERT_THAT(outbox, IsOk());
  std::map<std::string, int> promotions;
  std::set<std::string> waitlisted;
  for (const events::v1::Event& event : *outbox) {
    if (event.has_booking_promoted()) {
      ++promotions[event.booking_promoted().booking()];
    }
    if (event.has_booking_waitlisted()) {
      waitlisted.insert(event.booking_waitlisted().booking());
    }
  }
  for (const auto& [booking, count] : promotions) {
    EXPECT_EQ(count, 1) << booking;
    EXPECT_EQ(waitlisted.count(booking), 1u) << booking;
  }
}

TRAINING_ON_BOTH_ENGINES(BookingsModelTest);

}  // namespace
}  // namespace training::booking

// Control characters in free text, sent as a client would, through the
// real binaries: refused as field violations naming the field, before they
// reach a batch, so that a flash crowd with poisoned requests among it
// books every genuine request (PostgreSQL's COPY refused a NUL and failed
// the whole batch with it).

#include <atomic>
#include <thread>

#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "tests/booking_process_fixture.h"

namespace training::testing {
namespace {

class HostileTextTest : public BookingProcessTest {
 protected:
  // Request `n` spoiled the (n / 10 % 5)-th way; the field it names.
  static std::string Poison(booking::CreateBookingRequest& r, int n) {
    auto* a = r.mutable_booking()->mutable_attendee();
    switch (n / 10 % 5) {
      case 0:
        a->set_display_name(std::string("Alex\0Morgan", 11));
        return "booking.attendee.display_name";
      case 1:
        a->set_organisation("Northshire\a NHS Trust");
        return "booking.attendee.organisation";
      case 2:
        a->set_job_role("\x1b[2JHealth visitor");
        return "booking.attendee.job_role";
      case 3:
        a->set_access_needs(std::string("Ramp\n\0", 6));
        return "booking.attendee.access_needs";
      default:
        a->set_display_name("Alex\nMorgan");
        return "booking.attendee.display_name";
    }
  }

  // 200 genuine requests with 20 poisoned ones among them (one in eleven),
  // from 40 threads over `stubs`. Genuine ones are retried with the same
  // request id while the answer is transient.
  void Crowd(const std::vector<booking::BookingService::Stub*>& stubs,
             const std::string& session, const std::string& db_url) {
    constexpr int kRequests = 220;
    std::atomic<int> next{0}, genuine_ok{0}, poisoned_refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 40; ++t) {
      threads.emplace_back([&, t] {
        for (int n = next++; n < kRequests; n = next++) {
          booking::CreateBookingRequest r = BookingRequest(session, n);
          const bool poisoned = n % 11 == 5;
          const std::string field = poisoned ? Poison(r, n) : "";
          booking::Booking reply;
          const grpc::Status status = CreateRetrying(stubs, n + t, r, &reply);
          if (!poisoned) {
            EXPECT_TRUE(status.ok()) << n << ": " << status.error_code() << " "
                                     << status.error_message();
            genuine_ok += status.ok();
            continue;
          }
          EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
              << n;
          const std::vector<FieldViolation> violations =
              GetFieldViolations(FromGrpcStatus(status));
          EXPECT_EQ(violations.size(), 1u) << n;
          if (violations.size() == 1 && violations[0].field == field) {
            ++poisoned_refused;
          } else {
            ADD_FAILURE() << n << " named " << status.error_message()
                          << " instead of " << field;
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();

    EXPECT_EQ(genuine_ok.load(), 200);
    EXPECT_EQ(poisoned_refused.load(), 20);
    const Counted counted = CountFromDatabase(db_url, session);
    EXPECT_EQ(counted.confirmed, 25);
    EXPECT_EQ(counted.waiting, 175);
    EXPECT_EQ(counted.other, 0);
  }
};

TEST_F(HostileTextTest, PoisonedRequestsInAFlashCrowdFailAloneOnSqlite) {
  const std::string session = CreateSession(25);
  Process booking = StartBooking("booking", "");
  auto stub = booking::BookingService::NewStub(Channel(booking));

  Crowd({stub.get()}, session, "sqlite://" + booking.dir + "/booking.db");
}

TEST_F(HostileTextTest, PoisonedRequestsInAFlashCrowdFailAloneOnPostgres) {
  auto url = sql::testing::NewTestDatabaseUrl(sql::Engine::kPostgres);
  ASSERT_TRUE(url.ok()) << url.status();
  const std::string session = CreateSession(25);
  Process first = StartBooking("booking1", *url + "?pool_size=8");
  Process second = StartBooking("booking2", *url + "?pool_size=8");
  auto stub1 = booking::BookingService::NewStub(Channel(first));
  auto stub2 = booking::BookingService::NewStub(Channel(second));

  Crowd({stub1.get(), stub2.get()}, session, *url);
}

// The catalogue applies the same rule: one line where one line is meant,
// prose over lines where the contract says so.
TEST_F(HostileTextTest, TheCatalogueRefusesControlCharactersButTakesProse) {
  catalogue::CreateCourseRequest r;
  r.set_course_id("hostile-text");
  r.mutable_course()->set_title(std::string("Intro\0MI", 8));
  r.mutable_course()->set_summary("Line one.\r\n\tLine two.");
  r.mutable_course()->mutable_duration()->set_seconds(3 * 3600);
  r.mutable_course()->set_level(catalogue::Course::INTRODUCTORY);
  r.mutable_course()->add_eligible_agency_types(training::type::v1::HEALTH);
  catalogue::Course created;

  grpc::Status refused =
      catalogue_stub_->CreateCourse(Context(kAdminKey).get(), r, &created);
  r.mutable_course()->set_title("Intro MI");
  grpc::Status accepted =
      catalogue_stub_->CreateCourse(Context(kAdminKey).get(), r, &created);

  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const std::vector<FieldViolation> violations =
      GetFieldViolations(FromGrpcStatus(refused));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "course.title");
  ASSERT_TRUE(accepted.ok()) << accepted.error_message();
  EXPECT_EQ(created.summary(), "Line one.\r\n\tLine two.");
}

}  // namespace
}  // namespace training::testing

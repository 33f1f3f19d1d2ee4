// The booking binary on a PostgreSQL that stops answering (every process
// of it frozen, as on a hung host): callers hear an error by their own
// deadline, the threads that served them are free again while the
// database is still frozen, and once it answers the service carries on.

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/sql/testing/postgres_server.h"
#include "tests/booking_process_fixture.h"

namespace training::testing {
namespace {

class DatabaseOutageTest : public BookingProcessTest {
 protected:
  // Lines the process logged for finished calls of `method` that did not
  // succeed.
  static int FailedCalls(const Process& process, const std::string& method) {
    int n = 0;
    for (absl::string_view line : absl::StrSplit(process.child->Log(), '\n')) {
      n += absl::StrContains(line, "\"msg\":\"rpc\"") &&
           absl::StrContains(line, "/" + method + "\"") &&
           !absl::StrContains(line, "\"code\":\"OK\"");
    }
    return n;
  }

  static std::unique_ptr<grpc::ClientContext> Hurried() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    return context;
  }
};

TEST_F(DatabaseOutageTest, AFrozenDatabaseCostsEachCallerItsDeadlineOnly) {
  sql::testing::PostgresServer postgres;
  ASSERT_TRUE(postgres.Start()) << postgres.Log();
  const std::string session = CreateSession(5);
  Process booking = StartBooking("booking", postgres.url() + "?pool_size=4");
  auto stub = booking::BookingService::NewStub(Channel(booking));
  booking::Booking first;
  ASSERT_TRUE(
      stub->CreateBooking(Context().get(), BookingRequest(session, 1), &first)
          .ok());
  // More calls at once than the service has worker threads (16).
  constexpr int kReads = 24;

  postgres.Freeze();
  booking::Booking unanswered;
  grpc::Status booked = stub->CreateBooking(
      Hurried().get(), BookingRequest(session, 2), &unanswered);
  std::atomic<int> reads_failed{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < kReads; ++i) {
    readers.emplace_back([&] {
      booking::GetBookingRequest get;
      get.set_name(first.name());
      booking::Booking read;
      reads_failed += !stub->GetBooking(Hurried().get(), get, &read).ok();
    });
  }
  for (auto& reader : readers) reader.join();
  // The service itself finished every call while the database is frozen.
  bool all_finished = false;
  for (absl::Time end = absl::Now() + kWatchdog;
       !all_finished && absl::Now() < end;) {
    all_finished = FailedCalls(booking, "CreateBooking") >= 1 &&
                   FailedCalls(booking, "GetBooking") >= kReads;
    if (!all_finished) absl::SleepFor(absl::Milliseconds(50));
  }
  postgres.Thaw();

  EXPECT_FALSE(booked.ok());
  EXPECT_TRUE(booked.error_code() == grpc::StatusCode::UNAVAILABLE ||
              booked.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
      << booked.error_code();
  EXPECT_EQ(reads_failed.load(), kReads);
  EXPECT_TRUE(all_finished) << booking.child->Log();
  // Recovered: the retry of the unanswered booking gets its place.
  grpc::Status retried;
  booking::Booking second;
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    retried = stub->CreateBooking(Context().get(), BookingRequest(session, 2),
                                  &second);
    if (retried.ok()) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_TRUE(retried.ok()) << retried.error_message();
  EXPECT_EQ(second.state(), booking::Booking::CONFIRMED);
  EXPECT_EQ(CountFromDatabase(postgres.url(), session).confirmed, 2);
}

}  // namespace
}  // namespace training::testing

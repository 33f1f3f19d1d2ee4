// The booking binary, end to end: a real catalogue, real booking processes
// (one on SQLite; two sharing PostgreSQL), a real Redis. Many clients race
// for few places through gRPC, and the outcome is counted from the
// database: never more confirmed than capacity, everyone else waiting at
// contiguous positions. Redis stopped mid-run costs no request; a process
// killed between commit and reply gives the retry the same booking.

#include <signal.h>

#include <iterator>

#include "absl/strings/ascii.h"
#include "tests/booking_process_fixture.h"

namespace training::testing {
namespace {

TEST_F(BookingProcessTest, FiveHundredClientsNeverOverbookOnSqlite) {
  const std::string session = CreateSession(25);
  Process booking = StartBooking("booking", "");
  auto stub = booking::BookingService::NewStub(Channel(booking));

  Run run = BookConcurrently({stub.get()}, session, 500, 50);

  ExpectNoOverbooking(
      run,
      CountFromDatabase("sqlite://" + booking.dir + "/booking.db", session), 25,
      500);
  booking::Availability availability = AvailabilityOf(stub.get(), session);
  EXPECT_EQ(availability.confirmed(), 25);
  EXPECT_EQ(availability.waiting(), 475);
  EXPECT_EQ(availability.remaining(), 0);
}

TEST_F(BookingProcessTest, TwoReplicasSharingPostgresNeverOverbook) {
  auto url = sql::testing::NewTestDatabaseUrl(sql::Engine::kPostgres);
  ASSERT_TRUE(url.ok()) << url.status();
  const std::string session = CreateSession(25);
  Process first = StartBooking("booking1", *url + "?pool_size=8");
  Process second = StartBooking("booking2", *url + "?pool_size=8");
  auto stub1 = booking::BookingService::NewStub(Channel(first));
  auto stub2 = booking::BookingService::NewStub(Channel(second));

  Run run = BookConcurrently({stub1.get(), stub2.get()}, session, 500, 50);

  ExpectNoOverbooking(run, CountFromDatabase(*url, session), 25, 500);
  EXPECT_EQ(AvailabilityOf(stub2.get(), session).confirmed(), 25);
}

// Tokens must open bookings on every replica and after every restart: on
// PostgreSQL (replicas) the secrets must be given; on SQLite a generated
// secret that cannot be kept stops the start rather than change on the next.
TEST_F(BookingProcessTest, RefusesToStartWithTokenSecretsItCannotShareOrKeep) {
  auto url = sql::testing::NewTestDatabaseUrl(sql::Engine::kPostgres);
  ASSERT_TRUE(url.ok()) << url.status();
  const std::string unkept = dir_ + "/unkept";
  std::filesystem::create_directories(unkept + "/booking_token_secrets.tmp");
  auto start = [&](const std::string& name, const std::string& data_dir,
                   const std::string& database_url) {
    std::vector<std::string> args = {"--port=0", "--metrics_port=0",
                                     "--data_dir=" + data_dir,
                                     "--api_keys_file=" + dir_ + "/keys.json",
                                     "--redis_url=" + redis_.url()};
    if (!database_url.empty()) args.push_back("--database_url=" + database_url);
    return std::make_unique<ChildProcess>(BOOKING_BINARY, args,
                                          std::map<std::string, std::string>{},
                                          dir_ + "/" + name + ".log");
  };

  auto on_postgres = start("on-postgres", dir_ + "/pg", *url);
  auto unwritable = start("unwritable", unkept, "");

  const std::optional<int> postgres_exit = on_postgres->Wait(kWatchdog);
  ASSERT_TRUE(postgres_exit.has_value()) << "still running";
  EXPECT_NE(*postgres_exit, 0);
  EXPECT_THAT(on_postgres->Log(),
              ::testing::HasSubstr(
                  "--manage_token_secrets (TRAINING_MANAGE_TOKEN_SECRETS) "
                  "is required with a PostgreSQL --database_url"));
  const std::optional<int> unwritable_exit = unwritable->Wait(kWatchdog);
  ASSERT_TRUE(unwritable_exit.has_value()) << "still running";
  EXPECT_NE(*unwritable_exit, 0);
  EXPECT_THAT(unwritable->Log(),
              ::testing::HasSubstr("the generated secret cannot be kept"));
  EXPECT_FALSE(std::filesystem::exists(unkept + "/booking_token_secrets"));
}

TEST_F(BookingProcessTest, RedisStoppedMidRunCostsNoRequestAndTheCacheHeals) {
  const std::string session = CreateSession(25);
  Process booking = StartBooking("booking", "", {}, {"--availability_ttl=1s"});
  auto stub = booking::BookingService::NewStub(Channel(booking));
  AvailabilityOf(stub.get(), session);  // warm the cache
  std::atomic<bool> stopped{false};

  Run run = BookConcurrently({stub.get()}, session, 200, 20, 0, [&](int i) {
    if (i >= 60 && !stopped.exchange(true)) redis_.Stop();
  });
  ASSERT_TRUE(stopped.load());
  Run more = BookConcurrently({stub.get()}, session, 40, 8, 1000);
  ASSERT_TRUE(redis_.Start());

  EXPECT_EQ(run.failures + more.failures, 0);
  const Counted counted =
      CountFromDatabase("sqlite://" + booking.dir + "/booking.db", session);
  EXPECT_EQ(counted.confirmed, 25);
  EXPECT_EQ(counted.waiting, 215);
  booking::Availability availability;
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    availability = AvailabilityOf(stub.get(), session);
    if (availability.waiting() == counted.waiting) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(availability.confirmed(), 25);
  EXPECT_EQ(availability.waiting(), counted.waiting);
}

// With Redis stopped every read comes from the database and is right;
// once Redis is back the cache answers again, as its hit counter shows.
TEST_F(BookingProcessTest, WithRedisDownAvailabilityIsReadAndTheCacheReturns) {
  const std::string session = CreateSession(5);
  Process booking =
      StartBooking("booking", "", {}, {"--availability_ttl=600s"});
  auto stub = booking::BookingService::NewStub(Channel(booking));
  auto hits = [&] {
    return MetricOf(booking,
                    R"(training_availability_cache_total{outcome="hit"})") +
           MetricOf(
               booking,
               R"(training_availability_cache_total{outcome="redis_hit"})");
  };
  auto book = [&](int n) {
    booking::Booking made;
    grpc::Status status =
        stub->CreateBooking(Context().get(), BookingRequest(session, n), &made);
    EXPECT_TRUE(status.ok()) << status.error_message();
  };
  book(1);
  ASSERT_EQ(AvailabilityOf(stub.get(), session).confirmed(), 1);
  ASSERT_EQ(AvailabilityOf(stub.get(), session).confirmed(), 1);
  ASSERT_GT(hits(), 0);

  redis_.Stop();
  book(2);
  book(3);
  const double hits_while_down = hits();
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(AvailabilityOf(stub.get(), session).confirmed(), 3);
  }
  EXPECT_EQ(hits(), hits_while_down) << "nothing served from the cache";

  ASSERT_TRUE(redis_.Start());
  for (absl::Time end = absl::Now() + kWatchdog;
       absl::Now() < end && hits() == hits_while_down;
       absl::SleepFor(absl::Milliseconds(50))) {
    EXPECT_EQ(AvailabilityOf(stub.get(), session).confirmed(), 3);
  }
  EXPECT_GT(hits(), hits_while_down) << "the cache never answered again";
  book(4);
  EXPECT_EQ(AvailabilityOf(stub.get(), session).confirmed(), 4);
}

TEST_F(BookingProcessTest, KilledAfterCommitTheRetryGetsTheSameBooking) {
  const std::string session = CreateSession(5);
  const std::string url = "sqlite://" + dir_ + "/booking-crash.db";
  Process warm = StartBooking("warm", url, {}, {"--availability_ttl=1s"});
  auto warm_stub = booking::BookingService::NewStub(Channel(warm));
  booking::Booking first;
  ASSERT_TRUE(
      warm_stub
          ->CreateBooking(Context().get(), BookingRequest(session, 1), &first)
          .ok());
  EXPECT_EQ(AvailabilityOf(warm_stub.get(), session).confirmed(), 1);
  warm.child->Signal(SIGTERM);
  warm.child->Wait(kWatchdog);

  Process doomed = StartBooking("doomed", url,
                                {{"TRAINING_CRASH_AT", "booking.after_commit"}},
                                {"--availability_ttl=1s"});
  auto doomed_stub = booking::BookingService::NewStub(Channel(doomed));
  booking::Booking lost;
  const booking::CreateBookingRequest request = BookingRequest(session, 2);
  grpc::Status crashed =
      doomed_stub->CreateBooking(Context().get(), request, &lost);
  EXPECT_FALSE(crashed.ok());
  EXPECT_FALSE(doomed.child->Wait(kWatchdog).has_value())
      << "killed by SIGKILL, not exited";

  Process restarted =
      StartBooking("restarted", url, {}, {"--availability_ttl=1s"});
  auto stub = booking::BookingService::NewStub(Channel(restarted));
  booking::Booking retried;
  grpc::Status status = stub->CreateBooking(Context().get(), request, &retried);
  booking::Booking replayed;
  grpc::Status again = stub->CreateBooking(Context().get(), request, &replayed);

  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(retried.name(), replayed.name());
  EXPECT_EQ(retried.manage_token(), replayed.manage_token());
  EXPECT_EQ(retried.state(), booking::Booking::CONFIRMED);
  const Counted counted = CountFromDatabase(url, session);
  EXPECT_EQ(counted.confirmed, 2) << "committed once, never twice";
  booking::GetBookingRequest get;
  get.set_name(retried.name());
  booking::Booking fetched;
  EXPECT_TRUE(
      stub->GetBooking(Context(retried.manage_token()).get(), get, &fetched)
          .ok());
  // The crash came before the cache write; the stale figure goes within
  // the TTL.
  booking::Availability availability;
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    availability = AvailabilityOf(stub.get(), session);
    if (availability.confirmed() == 2) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(availability.confirmed(), 2);
}

TEST_F(BookingProcessTest, CatalogueChangesReachBookingsThroughTheStream) {
  const std::string session = CreateSession(2);
  Process booking = StartBooking("booking", "");
  auto stub = booking::BookingService::NewStub(Channel(booking));
  Run run = BookConcurrently({stub.get()}, session, 4, 1);
  ASSERT_EQ(run.replies.size(), 4u);
  auto state_of = [&](const booking::Booking& b) {
    booking::GetBookingRequest get;
    get.set_name(b.name());
    booking::Booking now;
    grpc::Status status = stub->GetBooking(Context(kAdminKey).get(), get, &now);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return now;
  };
  auto wait_for = [&](const std::function<bool()>& done) {
    for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  };

  catalogue::UpdateSessionRequest raise;
  raise.mutable_session()->set_name(session);
  raise.mutable_session()->set_capacity(3);
  raise.mutable_update_mask()->add_paths("capacity");
  catalogue::Session updated;
  ASSERT_TRUE(
      catalogue_stub_->UpdateSession(Context(kAdminKey).get(), raise, &updated)
          .ok());

  EXPECT_TRUE(wait_for([&] {
    return state_of(run.replies[2]).state() == booking::Booking::CONFIRMED;
  })) << "the raised capacity promotes the head of the list";
  EXPECT_EQ(state_of(run.replies[3]).waitlist_position(), 1);

  catalogue::CancelSessionRequest cancel;
  cancel.set_name(session);
  cancel.set_reason("Trainer unwell");
  ASSERT_TRUE(
      catalogue_stub_->CancelSession(Context(kAdminKey).get(), cancel, &updated)
          .ok());

  EXPECT_TRUE(wait_for([&] {
    for (const auto& reply : run.replies) {
      if (state_of(reply).state() != booking::Booking::CANCELLED) return false;
    }
    return true;
  }));
  EXPECT_EQ(state_of(run.replies[0]).cancellation().reason(), "Trainer unwell");
}

// Two booking processes share PostgreSQL and the same offers fall due at
// once: each offer expires exactly once (one OfferExpired event, one
// place passed on), whichever process gets there.
TEST_F(BookingProcessTest, TwoReplicasExpireEachDueOfferExactlyOnce) {
  auto url = sql::testing::NewTestDatabaseUrl(sql::Engine::kPostgres);
  ASSERT_TRUE(url.ok()) << url.status();
  const std::string session = CreateSession(40, /*offers=*/true);
  const std::vector<std::string> fast_due_work = {"--due_work_interval=50ms"};
  Process first =
      StartBooking("booking1", *url + "?pool_size=8", {}, fast_due_work);
  Process second =
      StartBooking("booking2", *url + "?pool_size=8", {}, fast_due_work);
  auto stub1 = booking::BookingService::NewStub(Channel(first));
  auto stub2 = booking::BookingService::NewStub(Channel(second));
  Run run = BookConcurrently({stub1.get(), stub2.get()}, session, 100, 10);
  ASSERT_EQ(run.replies.size(), 100u);
  // 30 cancellations: 30 offers to the head of the list.
  int cancelled = 0;
  for (const auto& reply : run.replies) {
    if (reply.state() != booking::Booking::CONFIRMED || cancelled == 30) {
      continue;
    }
    booking::CancelBookingRequest cancel;
    cancel.set_name(reply.name());
    booking::Booking now;
    ASSERT_TRUE(
        stub1->CancelBooking(Context(kAdminKey).get(), cancel, &now).ok());
    ++cancelled;
  }
  auto db = sql::Database::Open(*url);
  ASSERT_TRUE(db.ok());
  auto scalar = [&](const std::string& sql) -> int64_t {
    auto tx = (*db)->Begin(sql::TxMode::kRead);
    if (!tx.ok()) return -1;
    auto rows = (*tx)->Query(sql);
    return rows.ok() ? rows->GetInt64(0, "n").value_or(-1) : -1;
  };
  ASSERT_EQ(scalar("SELECT COUNT(*) AS n FROM bookings WHERE state = 3"), 30);

  // Time passes for those 30 offers (their due time is moved, not the
  // clocks): both processes see them due at the next scan.
  {
    auto tx = (*db)->Begin(sql::TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)
                    ->Execute("UPDATE bookings SET expire_us = 1 WHERE "
                              "state = 3")
                    .ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    if (scalar("SELECT COUNT(*) AS n FROM bookings WHERE cancel_cause = 4") ==
        30) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  absl::SleepFor(absl::Milliseconds(500));  // time for a second expiry
  EXPECT_EQ(scalar("SELECT COUNT(*) AS n FROM bookings WHERE cancel_cause = 4"),
            30);
  // The next 30 in line hold the places now, not yet due.
  EXPECT_EQ(scalar("SELECT COUNT(*) AS n FROM bookings WHERE state = 3 AND "
                   "expire_us > 1"),
            30);
  EXPECT_EQ(scalar("SELECT offers AS n FROM inventory"), 30);
  EXPECT_EQ(scalar("SELECT confirmed AS n FROM inventory"), 10);
  // One OfferExpired event per expired offer, no more.
  auto tx = (*db)->Begin(sql::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto outbox = training::events::ReadOutbox(**tx);
  ASSERT_TRUE(outbox.ok());
  std::map<std::string, int> expired_events;
  int offered_events = 0;
  for (const training::events::v1::Event& event : *outbox) {
    if (event.has_offer_expired()) {
      ++expired_events[event.offer_expired().booking()];
    }
    offered_events += event.has_place_offered();
  }
  EXPECT_EQ(expired_events.size(), 30u);
  for (const auto& [booking_name, n] : expired_events) {
    EXPECT_EQ(n, 1) << booking_name;
  }
  EXPECT_EQ(offered_events, 60);
}

// Erasure through the real binary: afterwards the person's name and address
// are in no table, no Redis key (the stream included, once the relay has
// published) and no line the process logged.
TEST_F(BookingProcessTest, ErasureLeavesNothingInTablesRedisOrTheLog) {
  const std::string session = CreateSession(5);
  Process booking = StartBooking("booking", "");
  auto stub = booking::BookingService::NewStub(Channel(booking));
  booking::CreateBookingRequest r = BookingRequest(session, 1);
  r.mutable_booking()->mutable_attendee()->set_display_name("Rhiannon Vexley");
  r.mutable_booking()->mutable_attendee()->set_email("R.Vexley@nhs.example");
  r.mutable_booking()->mutable_attendee()->set_access_needs("BSL interpreter");
  booking::Booking booked;
  ASSERT_TRUE(stub->CreateBooking(Context().get(), r, &booked).ok());
  // A colleague names her as line manager: that is hers to erase too.
  booking::CreateBookingRequest colleague = BookingRequest(session, 2);
  colleague.mutable_booking()->mutable_attendee()->set_line_manager_email(
      "r.vexley@NHS.example");
  booking::Booking colleague_booked;
  ASSERT_TRUE(
      stub->CreateBooking(Context().get(), colleague, &colleague_booked).ok());

  booking::ExportPersonalDataRequest export_request;
  export_request.set_email("r.vexley@NHS.example");
  booking::PersonalDataExport exported;
  ASSERT_TRUE(stub->ExportPersonalData(Context(kAdminKey).get(), export_request,
                                       &exported)
                  .ok());
  ASSERT_EQ(exported.bookings_size(), 1);
  EXPECT_EQ(exported.bookings(0).attendee().access_needs(), "BSL interpreter");
  // Not for anyone else: the export is for admins.
  EXPECT_EQ(stub->ExportPersonalData(Context().get(), export_request, &exported)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  booking::ErasePersonalDataRequest erase;
  erase.set_email("nobody");
  booking::ErasePersonalDataResponse erased;
  EXPECT_EQ(stub->ErasePersonalData(Context(kAdminKey).get(), erase, &erased)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  erase.set_email("R.VEXLEY@nhs.example");
  ASSERT_TRUE(
      stub->ErasePersonalData(Context(kAdminKey).get(), erase, &erased).ok());
  EXPECT_EQ(erased.erased_bookings(), 1);
  EXPECT_EQ(erased.line_manager_mentions_erased(), 1);

  // As an auditor would: every byte of every file in the data directory
  // (the database, its write-ahead log, the log), in any case. Old page
  // images stay in the log until a checkpoint, and freed space holds old
  // rows unless zeroed.
  std::string files;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(booking.dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files.append(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_GT(files.size(), 4096u);
  const std::string lower_files = absl::AsciiStrToLower(files);
  for (const char* needle : {"vexley", "rhiannon", "bsl interpreter"}) {
    EXPECT_FALSE(absl::StrContains(lower_files, needle))
        << needle << " is still in the data directory's files";
  }

  // Wait until the relay has published the erasure event.
  auto redis = redis::RedisClient::Create(redis_.url());
  ASSERT_TRUE(redis.ok());
  std::string stream_text;
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    auto entries =
        (*redis)->Command({"XRANGE", "training.events.booking", "-", "+"});
    ASSERT_TRUE(entries.ok());
    stream_text.clear();
    for (const auto& entry : entries->elements) {
      for (const auto& field : entry.elements.at(1).elements)
        stream_text += field.str + "\n";
    }
    if (absl::StrContains(stream_text, "PersonalDataErased")) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(absl::StrContains(stream_text, "PersonalDataErased"));

  std::string everything = stream_text;
  auto keys = (*redis)->Command({"KEYS", "*"});
  ASSERT_TRUE(keys.ok());
  for (const auto& key : keys->elements) {
    auto value = (*redis)->Command({"GET", key.str});  // WRONGTYPE: a stream
    if (value.ok()) everything += value->str + "\n";
  }
  auto db = sql::Database::Open("sqlite://" + booking.dir + "/booking.db");
  ASSERT_TRUE(db.ok());
  auto tx = (*db)->Begin(sql::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto tables =
      (*tx)->Query("SELECT name FROM sqlite_master WHERE type = 'table'");
  ASSERT_TRUE(tables.ok());
  for (size_t t = 0; t < tables->size(); ++t) {
    auto rows = (*tx)->Query("SELECT * FROM " + *tables->GetString(t, "name"));
    ASSERT_TRUE(rows.ok());
    for (const auto& row : rows->rows()) {
      for (const auto& value : row) {
        if (auto* text = std::get_if<std::string>(&value))
          everything += *text + "\n";
      }
    }
  }
  const std::string log = booking.child->Log();
  EXPECT_TRUE(absl::StrContains(log, "personal_data.erased")) << log;
  everything += log;
  for (const char* needle :
       {"vexley", "Vexley", "VEXLEY", "Rhiannon", "BSL interpreter"}) {
    EXPECT_FALSE(absl::StrContains(everything, needle)) << needle;
  }
}

// The log guard must know the tokens the service really issues (43
// characters of URL-safe base64, no prefix), not an invented shape: a real
// token, sent where a careless client might put it, reaches no log line.
TEST_F(BookingProcessTest, NoManageTokenTheServiceIssuedReachesItsLog) {
  const std::string session = CreateSession(5);
  Process booking = StartBooking("booking", "");
  auto stub = booking::BookingService::NewStub(Channel(booking));
  booking::Booking booked;
  ASSERT_TRUE(
      stub->CreateBooking(Context().get(), BookingRequest(session, 1), &booked)
          .ok());
  const std::string token = booked.manage_token();
  ASSERT_EQ(token.size(), 43u);

  booking::GetBookingRequest get;
  get.set_name(booked.name());
  booking::Booking seen;
  // As the bearer credential, as the request id, and inside a field.
  EXPECT_TRUE(stub->GetBooking(Context(token).get(), get, &seen).ok());
  auto as_request_id = Context(token);
  as_request_id->AddMetadata("x-request-id", token);
  EXPECT_TRUE(stub->GetBooking(as_request_id.get(), get, &seen).ok());
  booking::GetBookingRequest token_as_name;
  token_as_name.set_name("bookings/" + token);
  EXPECT_EQ(
      stub->GetBooking(Context(token).get(), token_as_name, &seen).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  booking.child->Signal(SIGTERM);
  ASSERT_TRUE(booking.child->Wait(kWatchdog).has_value());
  const std::string log = booking.child->Log();
  EXPECT_TRUE(absl::StrContains(log, "\"msg\":\"rpc\"")) << log;
  EXPECT_FALSE(absl::StrContains(log, token)) << log;
}

}  // namespace
}  // namespace training::testing

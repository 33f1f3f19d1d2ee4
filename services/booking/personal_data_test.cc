// Personal data against a real database (both engines) and a real Redis:
// erasure leaves no trace of the person in any table, Redis key or log
// line while the reports keep their counts; line managers' addresses are
// exported and erased too; access needs go once their retention has
// passed.

#include "services/booking/records_test_fixture.h"

namespace training::booking {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::training::testing::StatusIs;

const Someone kZoe{"Zoë Quartermaine", "Zoe.Q@council.example",
                   "Northshire Council", type::EDUCATION};
const Someone kColleague{"Pat Colleague", "pat@council.example",
                         "Northshire Council", type::EDUCATION};
constexpr char kZoeNeeds[] = "Uses a hearing loop";

class PersonalDataTest : public RecordsFixture {
 protected:
  void SetUp() override {
    RecordsFixture::SetUp();
    if (HasFatalFailure()) return;
    log::SetSinkForTest([this](absl::string_view line) {
      absl::MutexLock lock(&log_mu_);
      log_lines_.emplace_back(line);
    });
  }
  void TearDown() override { log::SetSinkForTest(nullptr); }

  // Every value of every table, as text.
  std::string EveryTable() {
    const bool sqlite = GetParam() == sql::Engine::kSqlite;
    auto tx = db_->Begin(sql::TxMode::kRead);
    EXPECT_THAT(tx, IsOk());
    auto tables = (*tx)->Query(
        sqlite ? "SELECT name FROM sqlite_master WHERE type = 'table'"
               : "SELECT table_name AS name FROM information_schema.tables "
                 "WHERE table_schema = current_schema()");
    EXPECT_THAT(tables, IsOk());
    EXPECT_GE(tables->size(), 6u);
    std::string all;
    for (size_t t = 0; t < tables->size(); ++t) {
      std::string table = *tables->GetString(t, "name");
      auto rows = (*tx)->Query(absl::StrCat("SELECT * FROM ", table));
      EXPECT_THAT(rows, IsOk()) << table;
      for (const auto& row : rows->rows()) {
        for (const sql::Value& v : row) {
          if (auto* s = std::get_if<std::string>(&v)) all += *s + "\n";
          if (auto* b = std::get_if<sql::Blob>(&v)) all += b->bytes + "\n";
        }
      }
    }
    return all;
  }

  // Every value of every Redis key, as text.
  std::string EveryRedisKey() {
    std::string all;
    auto keys = redis_->Command({"KEYS", "*"});
    EXPECT_THAT(keys, IsOk());
    for (const redis::Reply& key : keys->elements) {
      auto type = redis_->Command({"TYPE", key.str});
      std::vector<std::string> read = {"GET", key.str};
      if (type->str == "stream") read = {"XRANGE", key.str, "-", "+"};
      if (type->str == "hash") read = {"HGETALL", key.str};
      if (type->str == "list") read = {"LRANGE", key.str, "0", "-1"};
      if (type->str == "set") read = {"SMEMBERS", key.str};
      if (type->str == "zset") read = {"ZRANGE", key.str, "0", "-1"};
      auto value = redis_->Command(read);
      EXPECT_THAT(value, IsOk()) << key.str;
      Flatten(*value, all);
    }
    return all;
  }
  static void Flatten(const redis::Reply& reply, std::string& out) {
    out += reply.str + "\n";
    for (const auto& e : reply.elements) Flatten(e, out);
  }

  // Publishes the outbox and returns the PersonalDataErased events that
  // reached booking's stream, oldest first.
  std::vector<events::v1::PersonalDataErased> PublishedErasures() {
    events::OutboxRelay relay(db_.get(), redis_.get());
    for (int pass = 0; pass < 100; ++pass) {
      auto published = relay.PublishOnce();
      EXPECT_THAT(published, IsOk());
      if (!published.ok() || *published == 0) break;
    }
    std::vector<events::v1::PersonalDataErased> erasures;
    auto stream = redis_->Command({"XRANGE", kBookingStream, "-", "+"});
    EXPECT_THAT(stream, IsOk());
    if (!stream.ok()) return erasures;
    for (const redis::Reply& entry : stream->elements) {
      const auto& fields = entry.elements.at(1).elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        events::v1::Event event;
        if (fields[i].str == "payload" &&
            event.ParseFromString(fields[i + 1].str) &&
            event.has_personal_data_erased()) {
          erasures.push_back(event.personal_data_erased());
        }
      }
    }
    return erasures;
  }

  std::string EveryLogLine() {
    absl::MutexLock lock(&log_mu_);
    return absl::StrJoin(log_lines_, "\n");
  }

  absl::StatusOr<v1::ErasePersonalDataResponse> Erase(
      const std::string& email, const std::string& request_id = "") {
    v1::ErasePersonalDataRequest r;
    r.set_email(email);
    r.set_request_id(request_id);
    return bookings_->ErasePersonalData(Admin(), r);
  }

  absl::StatusOr<v1::PersonalDataExport> Export(const std::string& email) {
    v1::ExportPersonalDataRequest r;
    r.set_email(email);
    return records_->ExportPersonalData(Admin(), r);
  }

  absl::Mutex log_mu_;
  std::vector<std::string> log_lines_ ABSL_GUARDED_BY(log_mu_);
};

void ExpectNoTrace(const std::string& text, absl::string_view where) {
  const std::string lower = absl::AsciiStrToLower(text);
  for (absl::string_view needle : {"zoe.q@council.example", "zoë quartermaine",
                                   "quartermaine", "hearing loop"}) {
    EXPECT_FALSE(absl::StrContains(lower, needle))
        << "'" << needle << "' found in " << where;
  }
}

TEST_P(PersonalDataTest, ErasureLeavesNoTraceAndKeepsTheReports) {
  // Zoë attends the first session (with access needs), passes a place on a
  // third session to a colleague, and holds the only place on a later
  // session with someone waiting behind her.
  auto attended = BookAs(kZoe, kSession, Public(), kZoeNeeds);
  ASSERT_THAT(attended, IsOk());
  ASSERT_THAT(BookAs(kAnn, kSession), IsOk());
  const std::string passed_on = "courses/intro-mi/sessions/s3";
  Schedule(passed_on, 5);
  auto given = BookAs(kZoe, passed_on);
  ASSERT_THAT(given, IsOk());
  v1::SubstituteAttendeeRequest substitute;
  substitute.set_name(given->name());
  *substitute.mutable_attendee() = Person(kColleague.email, kZoe.agency_type);
  substitute.mutable_attendee()->set_display_name(kColleague.name);
  ASSERT_THAT(bookings_->SubstituteAttendee(Admin(), substitute), IsOk());
  Schedule(kLater, 1, absl::Hours(24 * 10));
  auto later = BookAs(kZoe, kLater);
  auto behind = BookAs(kEve, kLater);
  ASSERT_THAT(later, IsOk());
  ASSERT_THAT(behind, IsOk());
  ASSERT_EQ(behind->state(), v1::Booking::WAITLISTED);
  // She booked one more session and cancelled that booking herself.
  const std::string dropped_session = "courses/intro-mi/sessions/s4";
  Schedule(dropped_session, 5);
  auto dropped = BookAs(kZoe, dropped_session);
  ASSERT_THAT(dropped, IsOk());
  ASSERT_THAT(Cancel(dropped->name(), Holder(dropped->manage_token())), IsOk());
  // And she waits for any in-person date of the course (none is).
  v1::CreateBookingRequest any_date;
  any_date.set_request_id(Uuid(++requests_));
  any_date.mutable_booking()->set_scope(v1::Booking::ANY_DATE);
  any_date.mutable_booking()->set_course("courses/intro-mi");
  any_date.mutable_booking()->set_delivery_preference(
      v1::Booking::IN_PERSON_ONLY);
  *any_date.mutable_booking()->mutable_attendee() =
      Person(kZoe.email, kZoe.agency_type);
  any_date.mutable_booking()->mutable_attendee()->set_display_name(kZoe.name);
  auto waiting = bookings_->CreateBooking(Public(), any_date);
  ASSERT_THAT(waiting, IsOk());
  ASSERT_EQ(waiting->state(), v1::Booking::WAITLISTED);
  clock_.Set(kStarted);
  ASSERT_THAT(Mark({{attended->name(), v1::ATTENDED}}), IsOk());

  // What is held before: both bookings with details, history, the place
  // passed on; the export is all there is.
  auto exported = Export("ZOE.Q@council.example");
  ASSERT_THAT(exported, IsOk());
  ASSERT_EQ(exported->bookings_size(), 4);
  EXPECT_EQ(exported->bookings(0).attendee().display_name(), kZoe.name);
  EXPECT_EQ(exported->bookings(0).attendee().access_needs(), kZoeNeeds);
  EXPECT_EQ(exported->bookings(0).attendance(), v1::ATTENDED);
  std::vector<std::string> actions;
  for (const auto& e : exported->history().at(attended->name()).entries())
    actions.push_back(e.action());
  EXPECT_THAT(actions, ElementsAre("booked", "attendance_recorded"));
  EXPECT_THAT(exported->replaced_on_bookings(), ElementsAre(given->name()));

  // The period with the past session only: it must not move.
  const absl::Time period_end = kNow + absl::Hours(24 * 10 + 2);
  auto report_before = Report(kNow, period_end);
  ASSERT_THAT(report_before, IsOk());
  v1::ListParticipationSummariesRequest by_organisation;
  auto summaries_before =
      records_->ListParticipationSummaries(Admin(), by_organisation);
  ASSERT_THAT(summaries_before, IsOk());

  auto erased = Erase("zoe.q@COUNCIL.example", Uuid(9));
  ASSERT_THAT(erased, IsOk());
  EXPECT_EQ(erased->erased_bookings(), 4);
  auto left = Get(waiting->name());
  ASSERT_THAT(left, IsOk());
  EXPECT_EQ(left->state(), v1::Booking::LEFT_WAITLIST);

  // Her later place went to the person waiting; the past one stays
  // confirmed and attended, without a name.
  auto promoted = Get(behind->name());
  ASSERT_THAT(promoted, IsOk());
  EXPECT_EQ(promoted->state(), v1::Booking::CONFIRMED);
  auto cancelled = Get(later->name());
  ASSERT_THAT(cancelled, IsOk());
  EXPECT_EQ(cancelled->state(), v1::Booking::CANCELLED);
  EXPECT_EQ(cancelled->cancellation().cause(), v1::Cancellation::ADMIN);
  auto past = Get(attended->name());
  ASSERT_THAT(past, IsOk());
  EXPECT_EQ(past->state(), v1::Booking::CONFIRMED);
  EXPECT_EQ(past->attendance(), v1::ATTENDED);
  EXPECT_EQ(past->attendee().organisation(), kZoe.organisation);
  ExpectInvariants(kLater);

  auto report_after = Report(kNow, period_end);
  ASSERT_THAT(report_after, IsOk());
  EXPECT_EQ(report_after->SerializeAsString(),
            report_before->SerializeAsString());
  auto summaries_after =
      records_->ListParticipationSummaries(Admin(), by_organisation);
  ASSERT_THAT(summaries_after, IsOk());
  EXPECT_EQ(summaries_after->summaries(0).key(), "Northshire Council");
  EXPECT_EQ(summaries_after->summaries(0).bookings(),
            summaries_before->summaries(0).bookings());

  // Nothing left, searched: every table, every Redis key (after the outbox
  // is published), every log line.
  // One PersonalDataErased event, naming her bookings, for other services.
  std::vector<std::string> erased_names;
  for (const auto& erased : PublishedErasures()) {
    for (const auto& name : erased.bookings()) erased_names.push_back(name);
  }
  EXPECT_THAT(erased_names, ::testing::UnorderedElementsAre(
                                attended->name(), later->name(),
                                dropped->name(), waiting->name()));
  ExpectNoTrace(EveryTable(), "the database");
  ExpectNoTrace(EveryRedisKey(), "Redis");
  ExpectNoTrace(EveryLogLine(), "the logs");

  auto after = Export(kZoe.email);
  ASSERT_THAT(after, IsOk());
  EXPECT_THAT(after->bookings(), IsEmpty());
  EXPECT_THAT(after->replaced_on_bookings(), IsEmpty());

  // Idempotent: the same request answers the same; a new one finds nothing.
  auto replay = Erase("zoe.q@COUNCIL.example", Uuid(9));
  ASSERT_THAT(replay, IsOk());
  EXPECT_EQ(replay->erased_bookings(), 4);
  auto again = Erase(kZoe.email);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->erased_bookings(), 0);
}

// A line manager's address sits on other people's bookings: it is part of
// what is held about them, so export shows where and erasure blanks it,
// and the erasure event names the address only as its keyed hash.
TEST_P(PersonalDataTest,
       ALineManagerNamedOnSeveralBookingsIsExportedAndErased) {
  const std::string boss = "Morag.Boss@Council.example";
  std::vector<std::string> naming;
  for (int i = 0; i < 3; ++i) {
    v1::CreateBookingRequest r;
    r.set_request_id(Uuid(800 + i));
    r.mutable_booking()->set_session(kSession);
    *r.mutable_booking()->mutable_attendee() =
        Person(absl::StrCat("staff", i, "@council.example"));
    r.mutable_booking()->mutable_attendee()->set_line_manager_email(
        i == 1 ? "morag.boss@COUNCIL.example" : boss);
    auto made = bookings_->CreateBooking(Public(), r);
    ASSERT_THAT(made, IsOk());
    naming.push_back(made->name());
  }
  auto unrelated = BookAs(kColleague, kSession);
  ASSERT_THAT(unrelated, IsOk());

  auto exported = Export("morag.boss@council.example");
  ASSERT_THAT(exported, IsOk());
  EXPECT_THAT(exported->bookings(), IsEmpty());
  EXPECT_THAT(exported->named_as_line_manager_on(),
              ::testing::UnorderedElementsAreArray(naming));

  auto erased = Erase("MORAG.BOSS@council.example");
  ASSERT_THAT(erased, IsOk());
  EXPECT_EQ(erased->erased_bookings(), 0);
  EXPECT_EQ(erased->line_manager_mentions_erased(), 3);
  for (const std::string& name : naming) {
    auto kept = Get(name);
    ASSERT_THAT(kept, IsOk());
    EXPECT_EQ(kept->state(), v1::Booking::CONFIRMED) << "only the address goes";
    EXPECT_EQ(kept->attendee().line_manager_email(), "");
  }
  EXPECT_THAT(Export(boss)
                  .value_or(v1::PersonalDataExport())
                  .named_as_line_manager_on(),
              IsEmpty());

  std::vector<events::v1::PersonalDataErased> published = PublishedErasures();
  ASSERT_EQ(published.size(), 1u);
  std::optional<events::v1::PersonalDataErased> event = published.front();
  ASSERT_TRUE(event.has_value());
  EXPECT_THAT(event->line_manager_bookings(),
              ::testing::UnorderedElementsAreArray(naming));
  const auth::AddressHash expected =
      auth::HashAddress(*address_keys_, "morag.boss@council.example");
  EXPECT_EQ(event->address_hash(), expected.hash);
  EXPECT_EQ(event->address_hash_key(), "a1");
  EXPECT_EQ(event->address_hash().size(), 43u);
  for (const std::string& where : {EveryTable(), EveryRedisKey()}) {
    EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(where), "morag"));
  }
  // On PostgreSQL the old row versions stay in the table and its indexes
  // until a vacuum: the erasure ran one on each table it wrote to.
  if (GetParam() == sql::Engine::kPostgres) {
    EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM pg_stat_user_tables WHERE "
                     "relname IN ('bookings', 'previous_contacts') AND "
                     "last_vacuum IS NOT NULL"),
              2);
  }
}

TEST_P(PersonalDataTest, BadRequestsChangeNothing) {
  ASSERT_THAT(BookAs(kZoe, kSession), IsOk());
  const std::string before = Snapshot();
  EXPECT_EQ(GetFieldViolations(Erase("not-an-address").status()).at(0).field,
            "email");
  EXPECT_EQ(GetFieldViolations(Erase(kZoe.email, "nope").status()).at(0).field,
            "request_id");
  EXPECT_EQ(GetFieldViolations(Export("").status()).at(0).field, "email");
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(PersonalDataTest, AccessNeedsGoOnceTheirRetentionHasPassed) {
  auto booking = BookAs(kZoe, kSession, Public(), kZoeNeeds);
  ASSERT_THAT(booking, IsOk());
  v1::GetRegisterRequest r;
  r.set_session(kSession);
  const absl::Duration retention = absl::Hours(24 * 7);
  const absl::Time session_end = kNow + absl::Hours(24 * 10 + 3);

  clock_.Set(session_end + retention - absl::Minutes(1));
  EXPECT_THAT(bookings_->ForgetAccessNeeds(retention), IsOk());
  auto kept = records_->GetRegister(Admin(), r);
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->entries(0).access_needs(), kZoeNeeds);

  clock_.Set(session_end + retention + absl::Minutes(1));
  auto forgotten = bookings_->ForgetAccessNeeds(retention);
  ASSERT_THAT(forgotten, IsOk());
  EXPECT_EQ(*forgotten, 1);
  auto gone = records_->GetRegister(Admin(), r);
  ASSERT_THAT(gone, IsOk());
  EXPECT_EQ(gone->entries(0).access_needs(), "");
  EXPECT_EQ(gone->entries(0).display_name(), kZoe.name);  // the rest stays
  EXPECT_EQ(
      Scalar("SELECT COUNT(*) AS n FROM bookings WHERE access_needs <> ''"), 0);
}

TRAINING_ON_BOTH_ENGINES(PersonalDataTest);

}  // namespace
}  // namespace training::booking

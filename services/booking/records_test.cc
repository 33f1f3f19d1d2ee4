// The register, reports and personal data against a real database (both
// engines) and a real Redis: attendance before the start is refused and
// counts once; reports on a seeded programme match figures counted by hand
// and their CSV reads back the same; erasure leaves no trace of the person
// in any table, Redis key or log line while the reports keep their counts;
// access needs go once their retention has passed.

#include "services/booking/records.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/address_hash.h"
#include "common/events/outbox.h"
#include "common/logging/log.h"
#include "common/sql/testing/engines.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "services/booking/bookings_test_fixture.h"

namespace training::booking {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::training::testing::StatusIs;

const absl::Time kStarted = kNow + absl::Hours(24 * 10 + 1);
constexpr char kLater[] = "courses/intro-mi/sessions/later";

struct Someone {
  std::string name;
  std::string email;
  std::string organisation;
  type::AgencyType agency_type;
};

class RecordsTest : public BookingsFixture {
 protected:
  void SetUp() override {
    BookingsFixture::SetUp();
    records_ =
        std::make_unique<Records>(store_.get(), &clock_, &bookings_->views());
  }

  absl::StatusOr<v1::Booking> BookAs(const Someone& who,
                                     const std::string& session,
                                     const Caller& caller = Public(),
                                     const std::string& access_needs = "") {
    v1::CreateBookingRequest r;
    r.set_request_id(Uuid(++requests_));
    r.mutable_booking()->set_session(session);
    v1::Attendee& a = *r.mutable_booking()->mutable_attendee();
    a = Person(who.email, who.agency_type);
    a.set_display_name(who.name);
    a.set_organisation(who.organisation);
    a.set_access_needs(access_needs);
    return bookings_->CreateBooking(caller, r);
  }

  absl::StatusOr<v1::BatchRecordAttendanceResponse> Mark(
      const std::vector<std::pair<std::string, v1::Attendance>>& marks,
      const std::string& session = kSession) {
    v1::BatchRecordAttendanceRequest r;
    r.set_session(session);
    for (const auto& [booking, attendance] : marks) {
      auto* mark = r.add_marks();
      mark->set_booking(booking);
      mark->set_attendance(attendance);
    }
    return records_->BatchRecordAttendance(Admin(), r);
  }

  absl::StatusOr<v1::ReachReport> Report(absl::Time from, absl::Time to,
                                         const Caller& caller = Admin()) {
    v1::GetReachReportRequest r;
    *r.mutable_start_time() = ToProto(from);
    *r.mutable_end_time() = ToProto(to);
    return records_->GetReachReport(caller, r);
  }

  std::unique_ptr<Records> records_;
  int requests_ = 100;
};

Caller Agency(const std::string& organisation) {
  Caller c;
  c.kind = Caller::Kind::kAgency;
  c.organisation = organisation;
  return c;
}

const Someone kAnn{"Ann Archer", "ann@nhs.example", "Northshire NHS Trust",
                   type::HEALTH};
const Someone kBen{"Ben Baker", "ben@school.example", "Hill School",
                   type::EDUCATION};
const Someone kCat{"Cat Cole", "cat@nhs.example", "Northshire NHS Trust",
                   type::HEALTH};
const Someone kDan{"Dan Dale", "dan@school.example", "Hill School",
                   type::EDUCATION};
const Someone kEve{"Eve Ellis", "eve@nhs.example", "Northshire NHS Trust",
                   type::HEALTH};

// --- Register ---

TEST_P(RecordsTest, AttendanceBeforeTheStartIsRefusedAndCountsOnce) {
  auto ann = BookAs(kAnn, kSession);
  auto ben = BookAs(kBen, kSession);
  ASSERT_THAT(ann, IsOk());
  ASSERT_THAT(ben, IsOk());
  const std::string before = Snapshot();

  auto early = Mark({{ann->name(), v1::ATTENDED}});
  EXPECT_EQ(GetErrorInfo(early.status())->reason, "SESSION_NOT_STARTED");
  EXPECT_EQ(Snapshot(), before);

  clock_.Set(kStarted);
  auto first = Mark({{ann->name(), v1::ATTENDED}, {ben->name(), v1::NO_SHOW}});
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->register_().entries_size(), 2);
  EXPECT_EQ(first->register_().entries(0).display_name(), "Ann Archer");
  EXPECT_EQ(first->register_().entries(0).attendance(), v1::ATTENDED);
  EXPECT_EQ(first->register_().entries(1).attendance(), v1::NO_SHOW);
  const int64_t events =
      Scalar("SELECT COALESCE(SUM(event_count), 0) AS n FROM outbox");
  const std::string marked = Snapshot();

  // The same marks again: nothing is written, no event, the same figures.
  ASSERT_THAT(Mark({{ann->name(), v1::ATTENDED}, {ben->name(), v1::NO_SHOW}}),
              IsOk());
  EXPECT_EQ(Snapshot(), marked);
  auto report = Report(kNow, kNow + absl::Hours(24 * 30));
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->totals().attended(), 1);
  EXPECT_EQ(report->totals().no_shows(), 1);

  // A later mark replaces the earlier one.
  auto corrected = Mark({{ben->name(), v1::ATTENDED}});
  ASSERT_THAT(corrected, IsOk());
  EXPECT_EQ(corrected->register_().entries(1).attendance(), v1::ATTENDED);
  EXPECT_EQ(Scalar("SELECT COALESCE(SUM(event_count), 0) AS n FROM outbox"),
            events + 1);
  EXPECT_EQ(Scalar("SELECT COUNT(*) AS n FROM bookings WHERE attendance = 1"),
            2);
}

TEST_P(RecordsTest, MarksForBookingsNotOnTheRegisterChangeNothing) {
  ASSERT_THAT(ChangeCapacity(1), IsOk());
  auto ann = BookAs(kAnn, kSession);
  auto waiting = BookAs(kBen, kSession);
  ASSERT_THAT(ann, IsOk());
  ASSERT_THAT(waiting, IsOk());
  ASSERT_EQ(waiting->state(), v1::Booking::WAITLISTED);
  clock_.Set(kStarted);
  const std::string before = Snapshot();

  auto waitlisted =
      Mark({{ann->name(), v1::ATTENDED}, {waiting->name(), v1::ATTENDED}});
  auto unknown = Mark({{"bookings/ZZZZZZZZ", v1::NO_SHOW}});
  auto twice = Mark({{ann->name(), v1::ATTENDED}, {ann->name(), v1::NO_SHOW}});
  auto unspecified = Mark({{ann->name(), v1::ATTENDANCE_UNSPECIFIED}});
  auto empty = Mark({});
  auto bad_session = Mark({{ann->name(), v1::ATTENDED}}, "sessions/s1");

  EXPECT_THAT(
      GetFieldViolations(waitlisted.status()),
      ElementsAre(FieldViolation{
          "marks[1].booking", "is not a confirmed booking of this session"}));
  EXPECT_THAT(unknown.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(GetFieldViolations(twice.status()).at(0).field, "marks[1].booking");
  EXPECT_EQ(GetFieldViolations(unspecified.status()).at(0).field,
            "marks[0].attendance");
  EXPECT_EQ(GetFieldViolations(empty.status()).at(0).field, "marks");
  EXPECT_EQ(GetFieldViolations(bad_session.status()).at(0).field, "session");
  EXPECT_EQ(Snapshot(), before);

  v1::GetRegisterRequest unknown_session;
  unknown_session.set_session("courses/intro-mi/sessions/nope");
  EXPECT_THAT(records_->GetRegister(Admin(), unknown_session).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

// --- Reports ---

// Five people book three places; one cancels late and the first waiting
// is promoted; the register is taken. Every figure below is counted by hand
// from this story.
class ReportsTest : public RecordsTest {
 protected:
  void SetUp() override {
    RecordsTest::SetUp();
    if (HasFatalFailure()) return;
    ann_ = *BookAs(kAnn, kSession);
    ben_ = *BookAs(kBen, kSession, Agency("Hill School"));
    cat_ = *BookAs(kCat, kSession);
    dan_ = *BookAs(kDan, kSession, Agency("Hill School"));
    eve_ = *BookAs(kEve, kSession);
    ASSERT_EQ(eve_.waitlist_position(), 2);
    clock_.Set(kNow + absl::Hours(24 * 9 + 12));  // inside the 48 h window
    ASSERT_THAT(Cancel(cat_.name(), Holder(cat_.manage_token())), IsOk());
    clock_.Set(kStarted);
    ASSERT_THAT(Mark({{ann_.name(), v1::ATTENDED},
                      {ben_.name(), v1::NO_SHOW},
                      {dan_.name(), v1::ATTENDED}}),
                IsOk());
  }

  v1::Booking ann_, ben_, cat_, dan_, eve_;
};

std::vector<int> Figures(const v1::ReachFigures& f) {
  return {f.bookings(),           f.confirmed(), f.waiting(), f.cancellations(),
          f.late_cancellations(), f.attended(),  f.no_shows()};
}

TEST_P(ReportsTest, ReachMatchesTheFiguresCountedByHand) {
  auto report = Report(kNow, kNow + absl::Hours(24 * 30));
  ASSERT_THAT(report, IsOk());

  EXPECT_THAT(Figures(report->totals()), ElementsAre(5, 4, 1, 1, 1, 2, 1));
  EXPECT_DOUBLE_EQ(report->totals().attendance_rate(), 2.0 / 3.0);
  ASSERT_EQ(report->agency_types_size(), 2);
  EXPECT_EQ(report->agency_types(0).agency_type(), type::HEALTH);
  EXPECT_THAT(Figures(report->agency_types(0).figures()),
              ElementsAre(3, 2, 1, 1, 1, 1, 0));
  EXPECT_EQ(report->agency_types(1).agency_type(), type::EDUCATION);
  EXPECT_THAT(Figures(report->agency_types(1).figures()),
              ElementsAre(2, 2, 0, 0, 0, 1, 1));
  EXPECT_DOUBLE_EQ(report->agency_types(1).figures().attendance_rate(), 0.5);
  ASSERT_EQ(report->organisations_size(), 2);
  EXPECT_EQ(report->organisations(0).organisation(), "Hill School");
  EXPECT_EQ(report->organisations(0).agency_type(), type::EDUCATION);
  EXPECT_EQ(report->organisations(1).organisation(), "Northshire NHS Trust");
  ASSERT_EQ(report->course_demand_size(), 1);
  EXPECT_EQ(report->course_demand(0).course(), "courses/intro-mi");
  EXPECT_EQ(report->course_demand(0).unmet_demand(), 1);  // Eve

  // A period without the session has nothing in it.
  auto before = Report(kNow - absl::Hours(24 * 30), kNow);
  ASSERT_THAT(before, IsOk());
  EXPECT_EQ(before->totals().bookings(), 0);
  EXPECT_THAT(before->course_demand(), IsEmpty());

  // An agency key sees what was booked with its own key only.
  auto hill = Report(kNow, kNow + absl::Hours(24 * 30), Agency("Hill School"));
  ASSERT_THAT(hill, IsOk());
  EXPECT_THAT(Figures(hill->totals()), ElementsAre(2, 2, 0, 0, 0, 1, 1));
  ASSERT_EQ(hill->organisations_size(), 1);
  EXPECT_EQ(hill->organisations(0).organisation(), "Hill School");
}

TEST_P(ReportsTest, CsvExportReadsBackToTheSameFigures) {
  v1::GetReachReportRequest r;
  *r.mutable_start_time() = ToProto(kNow);
  *r.mutable_end_time() = ToProto(kNow + absl::Hours(24 * 30));
  auto csv = records_->ExportReachReport(Admin(), r);
  ASSERT_THAT(csv, IsOk());
  EXPECT_EQ(csv->content_type(), "text/csv; charset=utf-8");
  std::vector<std::string> lines =
      absl::StrSplit(csv->data(), "\r\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u + 1 + 2 + 2 + 1);
  EXPECT_TRUE(absl::StartsWith(lines[0], "section,agency_type,organisation"));
  EXPECT_EQ(lines[1], "total,,,,5,4,1,1,1,2,1,0.6667,");
  EXPECT_EQ(lines[2], "agency_type,HEALTH,,,3,2,1,1,1,1,0,1.0000,");
  EXPECT_EQ(lines[3], "agency_type,EDUCATION,,,2,2,0,0,0,1,1,0.5000,");
  EXPECT_EQ(lines[4],
            "organisation,EDUCATION,Hill School,,2,2,0,0,0,1,1,"
            "0.5000,");
  EXPECT_EQ(lines[6], "course,,,courses/intro-mi,,,,,,,,,1");
}

TEST_P(ReportsTest, BadPeriodsAreRefused) {
  v1::GetReachReportRequest none;
  EXPECT_EQ(GetFieldViolations(records_->GetReachReport(Admin(), none).status())
                .size(),
            2u);
  auto backwards = Report(kNow, kNow - absl::Hours(1));
  EXPECT_EQ(GetFieldViolations(backwards.status()).at(0).field, "end_time");
  auto too_long = Report(kNow, kNow + absl::Hours(24 * 365 * 6));
  EXPECT_EQ(GetFieldViolations(too_long.status()).at(0).field, "end_time");
}

TEST_P(ReportsTest, ParticipationPagesInOrder) {
  v1::ListParticipationSummariesRequest r;
  auto by_organisation = records_->ListParticipationSummaries(Admin(), r);
  ASSERT_THAT(by_organisation, IsOk());
  ASSERT_EQ(by_organisation->summaries_size(), 2);
  EXPECT_EQ(by_organisation->summaries(0).key(), "Hill School");  // a no-show
  EXPECT_EQ(by_organisation->summaries(0).no_shows(), 1);
  EXPECT_EQ(by_organisation->summaries(0).bookings(), 2);
  EXPECT_EQ(by_organisation->summaries(1).key(), "Northshire NHS Trust");
  EXPECT_EQ(by_organisation->summaries(1).late_cancellations(), 1);

  r.set_group_by(v1::ListParticipationSummariesRequest::PERSON);
  r.set_page_size(2);
  std::vector<std::string> keys;
  for (int page = 0; page < 5; ++page) {
    auto response = records_->ListParticipationSummaries(Admin(), r);
    ASSERT_THAT(response, IsOk());
    for (const auto& s : response->summaries()) keys.push_back(s.key());
    if (response->next_page_token().empty()) break;
    r.set_page_token(response->next_page_token());
  }
  EXPECT_THAT(keys, ElementsAre("ben@school.example", "cat@nhs.example",
                                "ann@nhs.example", "dan@school.example",
                                "eve@nhs.example"));

  r.set_group_by(v1::ListParticipationSummariesRequest::ORGANISATION);
  EXPECT_EQ(GetFieldViolations(
                records_->ListParticipationSummaries(Admin(), r).status())
                .at(0)
                .field,
            "page_token");
}

// Pages of 7 through 40 organisations whose names sort differently by
// bytes and by language give each exactly once, in byte order after the
// counts, and add up to every booking: the database's grouping, ordering
// and keyset paging agree with the contract on both engines.
TEST_P(ReportsTest, ParticipationPagesInByteOrderAcrossManyOrganisations) {
  std::vector<std::string> expected = {"Hill School", "Northshire NHS Trust"};
  clock_.Set(kNow);  // booking is open again
  for (int i = 0; i < 38; ++i) {
    const std::string organisation = absl::StrCat(i % 3 == 0   ? "alpha "
                                                  : i % 3 == 1 ? "Alpha "
                                                               : "\xC3\x89"
                                                                 "cole ",
                                                  i);
    expected.push_back(organisation);
    ASSERT_THAT(BookAs({"Someone", absl::StrCat("p", i, "@org.example"),
                        organisation, type::HEALTH},
                       kSession),
                IsOk());
  }
  // Hill School has the one no-show and Northshire the late cancellation:
  // they lead; everyone else has neither, in byte order.
  std::sort(expected.begin() + 2, expected.end());
  v1::ListParticipationSummariesRequest r;
  r.set_page_size(7);

  std::vector<std::string> keys;
  int bookings = 0, pages = 0;
  for (; pages < 20; ++pages) {
    auto response = records_->ListParticipationSummaries(Admin(), r);
    ASSERT_THAT(response, IsOk());
    for (const auto& s : response->summaries()) {
      keys.push_back(s.key());
      bookings += s.bookings();
    }
    if (response->next_page_token().empty()) break;
    r.set_page_token(response->next_page_token());
  }

  EXPECT_EQ(keys, expected);
  EXPECT_EQ(bookings, 5 + 38);
  EXPECT_EQ(pages, 5);  // 40 over pages of 7: the sixth is the last
}

// --- Personal data ---

const Someone kZoe{"Zoë Quartermaine", "Zoe.Q@council.example",
                   "Northshire Council", type::EDUCATION};
const Someone kColleague{"Pat Colleague", "pat@council.example",
                         "Northshire Council", type::EDUCATION};
constexpr char kZoeNeeds[] = "Uses a hearing loop";

class PersonalDataTest : public RecordsTest {
 protected:
  void SetUp() override {
    RecordsTest::SetUp();
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
  EXPECT_THAT(Export(boss)->named_as_line_manager_on(), IsEmpty());

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

INSTANTIATE_TEST_SUITE_P(BothEngines, RecordsTest, sql::testing::BothEngines(),
                         sql::testing::EngineParamName());
INSTANTIATE_TEST_SUITE_P(BothEngines, ReportsTest, sql::testing::BothEngines(),
                         sql::testing::EngineParamName());
INSTANTIATE_TEST_SUITE_P(BothEngines, PersonalDataTest,
                         sql::testing::BothEngines(),
                         sql::testing::EngineParamName());

}  // namespace
}  // namespace training::booking

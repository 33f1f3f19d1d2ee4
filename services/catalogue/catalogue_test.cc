// The catalogue's operations against a real database on both engines:
// validation that changes nothing, listing and paging, time zones, events
// through the outbox to a real Redis stream, visibility and idempotency.

#include "services/catalogue/catalogue.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/events/outbox.h"
#include "common/random/secure_bytes.h"
#include "common/redis/testing_redis_server.h"
#include "common/sql/testing/engines.h"
#include "common/sql/testing/test_databases.h"
#include "common/status/errors.h"
#include "common/testing/status_matchers.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/catalogue/store_sql.h"

namespace training::catalogue {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;
using ::training::testing::IsOk;
using ::training::testing::StatusIs;

const absl::Time kStart = absl::FromCivil(
    absl::CivilSecond(2027, 1, 10, 12, 0, 0), absl::UTCTimeZone());

Caller MakeAdmin() {
  Caller caller;
  caller.privileged = true;
  caller.request_id = "req-admin";
  return caller;
}
const Caller kAdmin = MakeAdmin();
const Caller kPublic;

std::vector<std::string> ViolatedFields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const auto& v : GetFieldViolations(status)) fields.push_back(v.field);
  return fields;
}

class CatalogueTest : public ::testing::TestWithParam<sql::Engine> {
 protected:
  void SetUp() override {
    auto url = sql::testing::NewTestDatabaseUrl(GetParam());
    ASSERT_THAT(url, IsOk());
    auto db = sql::Database::Open(*url);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    auto store = SqlCatalogueStore::Open(db_.get());
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    catalogue_ = std::make_unique<Catalogue>(store_.get(), &clock_);

    ASSERT_THAT(
        catalogue_->CreateVenue(kAdmin, VenueRequest("county-hall", "CM1 1QH")),
        IsOk());
    ASSERT_THAT(
        catalogue_->CreateVenue(kAdmin, VenueRequest("harlow-hub", "CM20 1AB")),
        IsOk());
    v1::CreateTrainerRequest trainer;
    trainer.set_trainer_id("amy-lee");
    trainer.mutable_trainer()->set_display_name("Amy Lee");
    ASSERT_THAT(catalogue_->CreateTrainer(kAdmin, trainer), IsOk());
    ASSERT_THAT(CreateCourse("intro-mi",
                             "Introduction to Motivational "
                             "Interviewing",
                             true),
                IsOk());
  }

  static v1::CreateVenueRequest VenueRequest(const std::string& id,
                                             const std::string& postcode) {
    v1::CreateVenueRequest r;
    r.set_venue_id(id);
    r.mutable_venue()->set_display_name(id);
    r.mutable_venue()->add_address_lines("1 High Street");
    r.mutable_venue()->set_locality("Chelmsford");
    r.mutable_venue()->set_postcode(postcode);
    return r;
  }

  static v1::CreateCourseRequest CourseRequest(const std::string& id,
                                               const std::string& title) {
    v1::CreateCourseRequest r;
    r.set_course_id(id);
    auto* c = r.mutable_course();
    c->set_title(title);
    *c->mutable_duration() = ToProto(absl::Hours(3));
    c->set_level(v1::Course::INTRODUCTORY);
    c->add_eligible_agency_types(training::type::v1::HEALTH);
    c->add_eligible_agency_types(training::type::v1::CHILDRENS_SOCIAL_CARE);
    c->add_tags("mi");
    return r;
  }

  absl::StatusOr<v1::Course> CreateCourse(const std::string& id,
                                          const std::string& title,
                                          bool publish) {
    auto course = catalogue_->CreateCourse(kAdmin, CourseRequest(id, title));
    if (!course.ok() || !publish) return course;
    v1::PublishCourseRequest r;
    r.set_name(course->name());
    return catalogue_->PublishCourse(kAdmin, r);
  }

  // A valid in-person request, `days` after kStart at 09:30 UTC.
  static v1::CreateSessionRequest SessionRequest(
      int days, const std::string& course = "courses/intro-mi") {
    v1::CreateSessionRequest r;
    r.set_parent(course);
    auto* s = r.mutable_session();
    const absl::Time start =
        kStart + absl::Hours(24 * days) - absl::Hours(2) - absl::Minutes(30);
    *s->mutable_start_time() = ToProto(start);
    *s->mutable_end_time() = ToProto(start + absl::Hours(3));
    s->set_delivery_mode(v1::IN_PERSON);
    s->set_venue("venues/county-hall");
    s->set_capacity(25);
    return r;
  }

  v1::Session MustCreateSession(const v1::CreateSessionRequest& r) {
    auto session = catalogue_->CreateSession(kAdmin, r);
    EXPECT_THAT(session, IsOk());
    return session.value_or(v1::Session());
  }

  // Everything a change could touch, to show that a refused one did not.
  std::string Snapshot() {
    std::string out;
    auto tx = db_->Begin(sql::TxMode::kRead);
    if (!tx.ok()) return "no transaction";
    for (const char* table : {"courses", "trainers", "venues", "sessions"}) {
      auto rows = (*tx)->Query(absl::StrCat(
          "SELECT COUNT(*) AS n, COALESCE(SUM(version), 0) AS v FROM ", table));
      if (!rows.ok()) return "query failed";
      absl::StrAppend(&out, table, "=", rows->GetInt64(0, "n").value_or(-1),
                      "/", rows->GetInt64(0, "v").value_or(-1), " ");
    }
    for (const char* table :
         {"session_trainers", "joining_details", "request_ids", "outbox"}) {
      auto rows =
          (*tx)->Query(absl::StrCat("SELECT COUNT(*) AS n FROM ", table));
      if (!rows.ok()) return "query failed";
      absl::StrAppend(&out, table, "=", rows->GetInt64(0, "n").value_or(-1),
                      " ");
    }
    return out;
  }

  int64_t OutboxEvents() {
    auto tx = db_->Begin(sql::TxMode::kRead);
    if (!tx.ok()) return -1;
    auto rows =
        (*tx)->Query("SELECT COALESCE(SUM(event_count), 0) AS n FROM outbox");
    return rows.ok() ? rows->GetInt64(0, "n").value_or(-1) : -1;
  }

  // The names of every listed session, following page tokens.
  std::vector<std::string> ListAll(v1::ListSessionsRequest r,
                                   const Caller& caller = kAdmin) {
    std::vector<std::string> names;
    for (int pages = 0; pages < 100; ++pages) {
      auto page = catalogue_->ListSessions(caller, r);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) break;
      for (const auto& s : page->sessions()) names.push_back(s.name());
      if (page->next_page_token().empty()) break;
      r.set_page_token(page->next_page_token());
    }
    return names;
  }

  FakeClock clock_{kStart};
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<SqlCatalogueStore> store_;
  std::unique_ptr<Catalogue> catalogue_;
};

// --- Validation ---

TEST_P(CatalogueTest, EveryInvalidCreateNamesItsFieldAndChangesNothing) {
  struct Row {
    const char* field;
    std::function<void(v1::CreateSessionRequest&)> breaks;
  } rows[] = {
      {"session.end_time",
       [](auto& r) {
         *r.mutable_session()->mutable_end_time() = r.session().start_time();
       }},
      {"session.capacity",
       [](auto& r) { r.mutable_session()->set_capacity(0); }},
      {"session.booking_close_time",
       [](auto& r) {
         *r.mutable_session()->mutable_booking_close_time() =
             r.session().end_time();
       }},
      {"session.booking_close_time",
       [](auto& r) {
         *r.mutable_session()->mutable_booking_open_time() =
             r.session().start_time();
         *r.mutable_session()->mutable_booking_close_time() =
             ToProto(kStart + absl::Hours(1));
       }},
      {"session.venue", [](auto& r) { r.mutable_session()->clear_venue(); }},
      {"session.venue",
       [](auto& r) { r.mutable_session()->set_delivery_mode(v1::ONLINE); }},
      {"session.venue",
       [](auto& r) { r.mutable_session()->set_venue("venues/nowhere"); }},
      {"session.trainers",
       [](auto& r) { r.mutable_session()->add_trainers("trainers/nobody"); }},
      {"joining_details.joining_url",
       [](auto& r) {
         auto* s = r.mutable_session();
         s->set_delivery_mode(v1::ONLINE);
         s->clear_venue();
         *s->mutable_start_time() = ToProto(kStart + absl::Hours(3));
         *s->mutable_end_time() = ToProto(kStart + absl::Hours(5));
       }},
      {"joining_details.joining_url",
       [](auto& r) {
         r.mutable_session()->set_delivery_mode(v1::ONLINE);
         r.mutable_session()->clear_venue();
         r.mutable_joining_details()->set_joining_url("http://insecure");
       }},
      {"parent", [](auto& r) { r.set_parent("courses/X"); }},
      {"request_id", [](auto& r) { r.set_request_id("not-a-uuid"); }},
  };
  const std::string before = Snapshot();
  for (const Row& row : rows) {
    SCOPED_TRACE(row.field);
    v1::CreateSessionRequest request = SessionRequest(30);
    row.breaks(request);

    auto created = catalogue_->CreateSession(kAdmin, request);

    EXPECT_THAT(created.status(), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(ViolatedFields(created.status()), ElementsAre(row.field));
    EXPECT_EQ(Snapshot(), before);
  }
}

TEST_P(CatalogueTest, InvalidCoursesVenuesTrainersAndUpdatesChangeNothing) {
  const v1::Session session = MustCreateSession(SessionRequest(30));
  const std::string before = Snapshot();
  struct Row {
    const char* field;
    std::function<absl::Status()> call;
  } rows[] = {
      {"course_id",
       [&] {
         return catalogue_->CreateCourse(kAdmin, CourseRequest("Bad_Slug", "x"))
             .status();
       }},
      {"course.eligible_agency_types",
       [&] {
         auto r = CourseRequest("no-agencies", "x");
         r.mutable_course()->clear_eligible_agency_types();
         return catalogue_->CreateCourse(kAdmin, r).status();
       }},
      {"venue.postcode",
       [&] {
         return catalogue_->CreateVenue(kAdmin, VenueRequest("bad-pc", "XYZ"))
             .status();
       }},
      {"trainer.display_name",
       [&] {
         v1::CreateTrainerRequest r;
         r.set_trainer_id("no-name");
         return catalogue_->CreateTrainer(kAdmin, r).status();
       }},
      {"session.capacity",
       [&] {
         v1::UpdateSessionRequest r;
         r.mutable_session()->set_name(session.name());
         r.mutable_update_mask()->add_paths("capacity");
         return catalogue_->UpdateSession(kAdmin, r).status();
       }},
      {"session.end_time",
       [&] {
         v1::UpdateSessionRequest r;
         r.mutable_session()->set_name(session.name());
         *r.mutable_session()->mutable_end_time() = session.start_time();
         r.mutable_update_mask()->add_paths("end_time");
         return catalogue_->UpdateSession(kAdmin, r).status();
       }},
      {"session.venue",
       [&] {
         v1::UpdateSessionRequest r;
         r.mutable_session()->set_name(session.name());
         r.mutable_session()->set_delivery_mode(v1::ONLINE);
         r.mutable_update_mask()->add_paths("delivery_mode");
         return catalogue_->UpdateSession(kAdmin, r).status();
       }},
      {"update_mask",
       [&] {
         v1::UpdateSessionRequest r;
         *r.mutable_session() = session;
         r.mutable_update_mask()->add_paths("state");
         return catalogue_->UpdateSession(kAdmin, r).status();
       }},
      {"course.title",
       [&] {
         v1::UpdateCourseRequest r;
         r.mutable_course()->set_name("courses/intro-mi");
         r.mutable_update_mask()->add_paths("title");
         return catalogue_->UpdateCourse(kAdmin, r).status();
       }},
      {"page_token",
       [&] {
         v1::ListSessionsRequest r;
         r.set_parent("courses/-");
         r.set_page_token("bm90IGEgdG9rZW4");
         return catalogue_->ListSessions(kAdmin, r).status();
       }},
      {"reason",
       [&] {
         v1::CancelSessionRequest r;
         r.set_name(session.name());
         return catalogue_->CancelSession(kAdmin, r).status();
       }},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.field);

    absl::Status status = row.call();

    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(ViolatedFields(status), ElementsAre(row.field));
    EXPECT_EQ(Snapshot(), before);
  }
}

TEST_P(CatalogueTest, ArchivedCoursesTakeNoNewSessions) {
  v1::ArchiveCourseRequest archive;
  archive.set_name("courses/intro-mi");
  ASSERT_THAT(catalogue_->ArchiveCourse(kAdmin, archive), IsOk());
  const std::string before = Snapshot();

  auto created = catalogue_->CreateSession(kAdmin, SessionRequest(30));

  EXPECT_THAT(created.status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(GetErrorInfo(created.status())->reason, "COURSE_ARCHIVED");
  EXPECT_EQ(Snapshot(), before);
  v1::PublishCourseRequest publish;
  publish.set_name("courses/intro-mi");
  EXPECT_THAT(catalogue_->PublishCourse(kAdmin, publish).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(CatalogueTest, NoSessionIsMadeWhenTheRandomGeneratorFails) {
  const std::string before = Snapshot();
  random::ScopedSecureBytesFailureForTest failing;

  auto created = catalogue_->CreateSession(kAdmin, SessionRequest(30));

  EXPECT_THAT(created.status(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(CatalogueTest, StaleEtagIsAbortedAndChangesNothing) {
  const v1::Session session = MustCreateSession(SessionRequest(30));
  v1::UpdateSessionRequest first;
  *first.mutable_session() = session;
  first.mutable_session()->set_capacity(30);
  first.mutable_update_mask()->add_paths("capacity");
  ASSERT_THAT(catalogue_->UpdateSession(kAdmin, first), IsOk());
  const std::string before = Snapshot();

  v1::UpdateSessionRequest stale = first;
  stale.mutable_session()->set_capacity(40);
  auto updated = catalogue_->UpdateSession(kAdmin, stale);

  EXPECT_THAT(updated.status(), StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(CatalogueTest, VenuesAndTrainersInUseCannotBeDeleted) {
  v1::CreateSessionRequest request = SessionRequest(30);
  request.mutable_session()->add_trainers("trainers/amy-lee");
  const v1::Session session = MustCreateSession(request);
  v1::DeleteVenueRequest venue;
  venue.set_name("venues/county-hall");
  v1::DeleteTrainerRequest trainer;
  trainer.set_name("trainers/amy-lee");

  EXPECT_THAT(catalogue_->DeleteVenue(kAdmin, venue),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(catalogue_->DeleteTrainer(kAdmin, trainer),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  v1::CancelSessionRequest cancel;
  cancel.set_name(session.name());
  cancel.set_reason("Trainer unwell");
  ASSERT_THAT(catalogue_->CancelSession(kAdmin, cancel), IsOk());
  EXPECT_THAT(catalogue_->DeleteVenue(kAdmin, venue), IsOk());
  EXPECT_THAT(catalogue_->DeleteTrainer(kAdmin, trainer), IsOk());
  v1::GetVenueRequest get;
  get.set_name("venues/county-hall");
  EXPECT_THAT(catalogue_->GetVenue(kAdmin, get).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

// --- Listing ---

TEST_P(CatalogueTest, EveryFilterSelectsExactlyItsSessions) {
  ASSERT_THAT(CreateCourse("family-safeguarding",
                           "Family Safeguarding "
                           "practice",
                           true),
              IsOk());
  v1::Session county = MustCreateSession(SessionRequest(10));
  v1::CreateSessionRequest harlow_request = SessionRequest(20);
  harlow_request.mutable_session()->set_venue("venues/harlow-hub");
  harlow_request.mutable_session()->set_title("Development group: reflection");
  v1::Session harlow = MustCreateSession(harlow_request);
  v1::CreateSessionRequest online_request =
      SessionRequest(30, "courses/family-safeguarding");
  online_request.mutable_session()->set_delivery_mode(v1::ONLINE);
  online_request.mutable_session()->clear_venue();
  v1::Session online = MustCreateSession(online_request);
  v1::Session past = MustCreateSession(SessionRequest(5));
  clock_.Advance(absl::Hours(24 * 6));  // `past` has now ended
  v1::Session cancelled = MustCreateSession(SessionRequest(40));
  v1::CancelSessionRequest cancel;
  cancel.set_name(cancelled.name());
  cancel.set_reason("Venue closed");
  ASSERT_THAT(catalogue_->CancelSession(kAdmin, cancel), IsOk());

  struct Row {
    const char* filter;
    std::function<void(v1::ListSessionsRequest&)> set;
    std::vector<std::string> expected;  // in start order
  } rows[] = {
      {"none", [](auto&) {}, {county.name(), harlow.name(), online.name()}},
      {"course",
       [](auto& r) { r.set_parent("courses/family-safeguarding"); },
       {online.name()}},
      {"earliest",
       [&](auto& r) { *r.mutable_earliest_start_time() = harlow.start_time(); },
       {harlow.name(), online.name()}},
      {"latest",
       [&](auto& r) { *r.mutable_latest_start_time() = harlow.start_time(); },
       {county.name()}},
      {"online",
       [](auto& r) { r.set_delivery_mode(v1::ONLINE); },
       {online.name()}},
      {"in person",
       [](auto& r) { r.set_delivery_mode(v1::IN_PERSON); },
       {county.name(), harlow.name()}},
      {"venue",
       [](auto& r) { r.set_venue("venues/harlow-hub"); },
       {harlow.name()}},
      {"area", [](auto& r) { r.set_area("cm1"); }, {county.name()}},
      {"area other", [](auto& r) { r.set_area("CM20"); }, {harlow.name()}},
      {"text in session title",
       [](auto& r) { r.set_query("REFLECTION development"); },
       {harlow.name()}},
      {"text in course title",
       [](auto& r) { r.set_query("safeguarding"); },
       {online.name()}},
      {"text with wildcard", [](auto& r) { r.set_query("%"); }, {}},
      {"inactive too",
       [&](auto& r) {
         r.set_show_inactive(true);
         *r.mutable_earliest_start_time() = ToProto(kStart);
       },
       {past.name(), county.name(), harlow.name(), online.name(),
        cancelled.name()}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.filter);
    v1::ListSessionsRequest request;
    request.set_parent("courses/-");
    row.set(request);

    EXPECT_THAT(ListAll(request), ElementsAreArray(row.expected));
  }
}

TEST_P(CatalogueTest, PagesMissAndRepeatNothingWhenSessionsAreInserted) {
  std::vector<std::string> original;
  for (int day = 1; day <= 30; ++day) {
    original.push_back(MustCreateSession(SessionRequest(day * 2)).name());
  }
  v1::ListSessionsRequest request;
  request.set_parent("courses/-");
  request.set_page_size(7);

  std::vector<std::string> seen;
  std::vector<std::string> inserted_after_cursor;
  for (int page_number = 0; page_number < 20; ++page_number) {
    auto page = catalogue_->ListSessions(kPublic, request);
    ASSERT_THAT(page, IsOk());
    for (const auto& s : page->sessions()) seen.push_back(s.name());
    if (page->next_page_token().empty()) break;
    // Between pages: one session before the cursor (not to be seen) and one
    // after it (to be seen exactly once).
    MustCreateSession(SessionRequest(1));
    inserted_after_cursor.push_back(
        MustCreateSession(SessionRequest(61 + page_number)).name());
    request.set_page_token(page->next_page_token());
  }

  std::vector<std::string> expected = original;
  expected.insert(expected.end(), inserted_after_cursor.begin(),
                  inserted_after_cursor.end());
  EXPECT_THAT(seen, UnorderedElementsAreArray(expected));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(),
            seen.size());
}

TEST_P(CatalogueTest, PageTokensFromOtherFiltersOrGarbageAreRejected) {
  for (int day = 1; day <= 3; ++day) MustCreateSession(SessionRequest(day));
  v1::ListSessionsRequest request;
  request.set_parent("courses/-");
  request.set_page_size(1);
  auto first = catalogue_->ListSessions(kPublic, request);
  ASSERT_THAT(first, IsOk());
  ASSERT_FALSE(first->next_page_token().empty());

  v1::ListSessionsRequest other = request;
  other.set_page_token(first->next_page_token());
  other.set_delivery_mode(v1::ONLINE);
  v1::ListSessionsRequest garbage = request;
  garbage.set_page_token("!!!");

  EXPECT_THAT(catalogue_->ListSessions(kPublic, other).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(catalogue_->ListSessions(kPublic, garbage).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ListCoursesRequest courses;
  courses.set_page_token(first->next_page_token());
  EXPECT_THAT(catalogue_->ListCourses(kPublic, courses).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(CatalogueTest, CoursesTrainersAndVenuesPageInNameOrder) {
  for (const char* id : {"zeta-course", "alpha-course", "mid-course"}) {
    ASSERT_THAT(CreateCourse(id, id, true), IsOk());
  }
  ASSERT_THAT(CreateCourse("hidden-draft", "aaa draft", false), IsOk());
  v1::ListCoursesRequest request;
  request.set_page_size(2);
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) {
    auto page = catalogue_->ListCourses(kPublic, request);
    ASSERT_THAT(page, IsOk());
    for (const auto& c : page->courses()) names.push_back(c.name());
    if (page->next_page_token().empty()) break;
    request.set_page_token(page->next_page_token());
  }
  EXPECT_THAT(names, ElementsAre("courses/alpha-course", "courses/intro-mi",
                                 "courses/mid-course", "courses/zeta-course"));

  v1::ListVenuesRequest venues;
  venues.set_page_size(1);
  auto first = catalogue_->ListVenues(kPublic, venues);
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->venues_size(), 1);
  EXPECT_EQ(first->venues(0).name(), "venues/county-hall");
  venues.set_page_token(first->next_page_token());
  auto second = catalogue_->ListVenues(kPublic, venues);
  ASSERT_THAT(second, IsOk());
  ASSERT_EQ(second->venues_size(), 1);
  EXPECT_EQ(second->venues(0).name(), "venues/harlow-hub");
  EXPECT_EQ(second->venues(0).area(), "CM20");
  EXPECT_TRUE(second->next_page_token().empty());
}

// --- Time zones ---

TEST_P(CatalogueTest, SessionsOnDstSundaysKeepWallClockTimesAndDuration) {
  // The last Sundays of March and October 2027.
  for (absl::CivilDay day :
       {absl::CivilDay(2027, 3, 28), absl::CivilDay(2027, 10, 31)}) {
    SCOPED_TRACE(absl::FormatCivilTime(day));
    auto start =
        LocalToInstant(absl::CivilMinute(day) + 9 * 60 + 30, "Europe/London");
    auto end =
        LocalToInstant(absl::CivilMinute(day) + 13 * 60, "Europe/London");
    ASSERT_TRUE(start.ok() && end.ok());
    v1::CreateSessionRequest request = SessionRequest(0);
    *request.mutable_session()->mutable_start_time() = ToProto(*start);
    *request.mutable_session()->mutable_end_time() = ToProto(*end);
    const v1::Session created = MustCreateSession(request);
    v1::GetSessionRequest get;
    get.set_name(created.name());

    auto session = catalogue_->GetSession(kPublic, get);

    ASSERT_THAT(session, IsOk());
    const std::string date = absl::FormatCivilTime(day);
    const char* offset = day.month() == 3 ? "+01:00" : "+00:00";
    EXPECT_EQ(session->time_zone(), "Europe/London");
    EXPECT_EQ(session->local_start(), absl::StrCat(date, "T09:30:00", offset));
    EXPECT_EQ(session->local_end(), absl::StrCat(date, "T13:00:00", offset));
    EXPECT_EQ(FromProto(session->end_time()) - FromProto(session->start_time()),
              absl::Minutes(210));
  }
}

// --- Events ---

TEST_P(CatalogueTest, EachChangeWritesExactlyOneEventThatReachesTheStream) {
  redis::testing::RedisServer redis_server;
  ASSERT_TRUE(redis_server.Start());
  auto redis = redis::RedisClient::Create(redis_server.url());
  ASSERT_THAT(redis, IsOk());
  events::OutboxRelay relay(db_.get(), redis->get());
  // The fixture published intro-mi: one event already.
  ASSERT_EQ(OutboxEvents(), 1);
  int64_t expected_events = 1;
  std::vector<std::string> expected_types = {
      "training.events.v1.CoursePublished"};
  auto expect_one_more = [&](const char* type) {
    ++expected_events;
    expected_types.push_back(type);
    EXPECT_EQ(OutboxEvents(), expected_events) << type;
  };

  ASSERT_THAT(CreateCourse("draft-only", "Draft", false), IsOk());
  EXPECT_EQ(OutboxEvents(), expected_events) << "drafts are not announced";
  v1::UpdateCourseRequest course_update;
  course_update.mutable_course()->set_name("courses/intro-mi");
  course_update.mutable_course()->set_summary("What MI is and how it helps.");
  course_update.mutable_update_mask()->add_paths("summary");
  ASSERT_THAT(catalogue_->UpdateCourse(kAdmin, course_update), IsOk());
  expect_one_more("training.events.v1.CourseChanged");
  ASSERT_THAT(catalogue_->UpdateCourse(kAdmin, course_update), IsOk());
  EXPECT_EQ(OutboxEvents(), expected_events)
      << "an update that changes nothing";

  v1::CreateSessionRequest online = SessionRequest(30);
  online.mutable_session()->set_delivery_mode(v1::ONLINE);
  online.mutable_session()->clear_venue();
  const v1::Session session = MustCreateSession(online);
  expect_one_more("training.events.v1.SessionScheduled");

  v1::UpdateSessionRequest update;
  update.mutable_session()->set_name(session.name());
  update.mutable_session()->set_capacity(40);
  update.mutable_update_mask()->add_paths("capacity");
  ASSERT_THAT(catalogue_->UpdateSession(kAdmin, update), IsOk());
  expect_one_more("training.events.v1.SessionChanged");

  v1::UpdateSessionRequest failing = update;
  failing.mutable_session()->set_capacity(-1);
  EXPECT_THAT(catalogue_->UpdateSession(kAdmin, failing).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(OutboxEvents(), expected_events) << "a failed update";

  v1::SetSessionJoiningDetailsRequest joining;
  joining.set_name(session.name());
  joining.mutable_joining_details()->set_joining_url(
      "https://meet.example.org/mi-intro");
  ASSERT_THAT(catalogue_->SetSessionJoiningDetails(kAdmin, joining), IsOk());
  expect_one_more("training.events.v1.SessionChanged");

  v1::CancelSessionRequest cancel;
  cancel.set_name(session.name());
  cancel.set_reason("Trainer unwell");
  ASSERT_THAT(catalogue_->CancelSession(kAdmin, cancel), IsOk());
  expect_one_more("training.events.v1.SessionCancelled");
  ASSERT_THAT(catalogue_->CancelSession(kAdmin, cancel), IsOk());
  EXPECT_EQ(OutboxEvents(), expected_events) << "cancelling twice";

  v1::ArchiveCourseRequest archive;
  archive.set_name("courses/intro-mi");
  ASSERT_THAT(catalogue_->ArchiveCourse(kAdmin, archive), IsOk());
  expect_one_more("training.events.v1.CourseArchived");

  ASSERT_THAT(relay.PublishOnce(), IsOk());
  auto entries = (*redis)->Command({"XRANGE", kCatalogueStream, "-", "+"});
  ASSERT_THAT(entries, IsOk());
  std::vector<std::string> types;
  std::vector<v1::Session> sessions;
  for (const auto& entry : entries->elements) {
    const auto& fields = entry.elements.at(1).elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "type") types.push_back(fields[i + 1].str);
      if (fields[i].str != "payload") continue;
      events::v1::Event event;
      ASSERT_TRUE(event.ParseFromString(fields[i + 1].str));
      EXPECT_EQ(event.source(), "catalogue");
      EXPECT_EQ(event.request_id(), kAdmin.request_id);
      if (event.has_session_changed()) {
        sessions.push_back(event.session_changed().session());
      }
    }
  }
  EXPECT_THAT(types, ElementsAreArray(expected_types));
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].capacity(), 40);
  EXPECT_TRUE(sessions[1].has_joining_details());
}

TEST_P(CatalogueTest, SessionChangedSaysWhatChangedWithPreviousValues) {
  const v1::Session session = MustCreateSession(SessionRequest(30));
  v1::UpdateSessionRequest update;
  update.mutable_session()->set_name(session.name());
  const absl::Time new_start =
      FromProto(session.start_time()) + absl::Hours(24);
  *update.mutable_session()->mutable_start_time() = ToProto(new_start);
  *update.mutable_session()->mutable_end_time() =
      ToProto(new_start + absl::Hours(3));
  update.mutable_session()->set_capacity(12);
  for (const char* path : {"start_time", "end_time", "capacity"}) {
    update.mutable_update_mask()->add_paths(path);
  }

  auto updated = catalogue_->UpdateSession(kAdmin, update);

  ASSERT_THAT(updated, IsOk());
  // The booking close was the default (the start), so it moved too.
  EXPECT_EQ(FromProto(updated->booking_close_time()), new_start);
  auto tx = db_->Begin(sql::TxMode::kRead);
  ASSERT_THAT(tx, IsOk());
  auto outbox = events::ReadOutbox(**tx);
  ASSERT_THAT(outbox, IsOk());
  ASSERT_FALSE(outbox->empty());
  const events::v1::Event& event = outbox->back();
  ASSERT_TRUE(event.has_session_changed());
  const auto& changed = event.session_changed();
  EXPECT_THAT(changed.changes(),
              ElementsAre(events::v1::TIME, events::v1::CAPACITY,
                          events::v1::BOOKING_WINDOW));
  EXPECT_EQ(FromProto(changed.previous_start_time()),
            FromProto(session.start_time()));
  EXPECT_EQ(changed.previous_capacity(), 25);
  EXPECT_EQ(event.subject(), session.name());
}

// --- Visibility, idempotency, joining details ---

TEST_P(CatalogueTest, DraftsAndTheirSessionsAreInvisibleToThePublic) {
  ASSERT_THAT(CreateCourse("draft-course", "Draft course", false), IsOk());
  const v1::Session draft_session =
      MustCreateSession(SessionRequest(10, "courses/draft-course"));
  const v1::Session published = MustCreateSession(SessionRequest(11));
  v1::GetCourseRequest get_course;
  get_course.set_name("courses/draft-course");
  v1::GetSessionRequest get_session;
  get_session.set_name(draft_session.name());
  v1::ListSessionsRequest all;
  all.set_parent("courses/-");
  v1::ListCoursesRequest unpublished;
  unpublished.set_show_unpublished(true);

  EXPECT_THAT(catalogue_->GetCourse(kPublic, get_course).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(catalogue_->GetSession(kPublic, get_session).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ListAll(all, kPublic), ElementsAre(published.name()));
  EXPECT_THAT(catalogue_->ListCourses(kPublic, unpublished).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(catalogue_->GetCourse(kAdmin, get_course), IsOk());
  EXPECT_THAT(ListAll(all, kAdmin),
              ElementsAre(draft_session.name(), published.name()));
  auto admin_courses = catalogue_->ListCourses(kAdmin, unpublished);
  ASSERT_THAT(admin_courses, IsOk());
  EXPECT_EQ(admin_courses->courses_size(), 2);

  v1::PublishCourseRequest publish;
  publish.set_name("courses/draft-course");
  ASSERT_THAT(catalogue_->PublishCourse(kAdmin, publish), IsOk());
  EXPECT_THAT(catalogue_->GetSession(kPublic, get_session), IsOk());
}

TEST_P(CatalogueTest, RetriedCreateWithTheSameRequestIdCreatesOnce) {
  v1::CreateSessionRequest request = SessionRequest(30);
  request.set_request_id("6f1c2b9e-3a4d-4e5f-8a9b-0c1d2e3f4a5b");
  const v1::Session first = MustCreateSession(request);
  const std::string after_first = Snapshot();

  auto again = catalogue_->CreateSession(kAdmin, request);
  v1::CreateSessionRequest different = request;
  different.mutable_session()->set_capacity(99);
  auto clash = catalogue_->CreateSession(kAdmin, different);

  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->name(), first.name());
  EXPECT_THAT(clash.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(clash.status()), ElementsAre("request_id"));
  EXPECT_EQ(Snapshot(), after_first);
}

TEST_P(CatalogueTest, JoiningDetailsAreHeldApartAndOnlyForOnlineSessions) {
  v1::CreateSessionRequest request = SessionRequest(30);
  request.mutable_session()->set_delivery_mode(v1::ONLINE);
  request.mutable_session()->clear_venue();
  request.mutable_joining_details()->set_joining_url(
      "https://meet.example.org/abc");
  request.mutable_joining_details()->set_instructions("Passcode 1234");
  const v1::Session online = MustCreateSession(request);
  const v1::Session in_person = MustCreateSession(SessionRequest(31));
  v1::GetSessionJoiningDetailsRequest get;
  get.set_name(online.name());

  auto details = catalogue_->GetSessionJoiningDetails(kAdmin, get);

  EXPECT_TRUE(online.has_joining_details());
  EXPECT_TRUE(online.venue().empty());
  ASSERT_THAT(details, IsOk());
  EXPECT_EQ(details->instructions(), "Passcode 1234");
  v1::SetSessionJoiningDetailsRequest set;
  set.set_name(in_person.name());
  set.mutable_joining_details()->set_joining_url("https://meet.example.org/x");
  EXPECT_THAT(catalogue_->SetSessionJoiningDetails(kAdmin, set).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  get.set_name(in_person.name());
  EXPECT_THAT(catalogue_->GetSessionJoiningDetails(kAdmin, get).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(CatalogueTest, BatchGetReturnsInOrderAndFailsOnAnyMissing) {
  const v1::Session a = MustCreateSession(SessionRequest(3));
  const v1::Session b = MustCreateSession(SessionRequest(2));
  v1::BatchGetSessionsRequest request;
  request.set_parent("courses/-");
  request.add_names(a.name());
  request.add_names(b.name());

  auto got = catalogue_->BatchGetSessions(kPublic, request);

  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->sessions_size(), 2);
  EXPECT_EQ(got->sessions(0).name(), a.name());
  EXPECT_EQ(got->sessions(1).name(), b.name());
  EXPECT_EQ(got->sessions(0).course_title(),
            "Introduction to Motivational Interviewing");
  EXPECT_EQ(got->sessions(0).area(), "CM1");
  request.add_names("courses/intro-mi/sessions/missing1");
  EXPECT_THAT(catalogue_->BatchGetSessions(kPublic, request).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TRAINING_ON_BOTH_ENGINES(CatalogueTest);

}  // namespace
}  // namespace training::catalogue

#include "services/catalogue/domain.h"

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::catalogue {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::training::testing::StatusIs;

const absl::Time kNow = absl::FromCivil(
    absl::CivilSecond(2027, 1, 10, 12, 0, 0), absl::UTCTimeZone());

std::vector<std::string> Fields(const std::vector<FieldViolation>& violations) {
  std::vector<std::string> fields;
  for (const auto& v : violations) fields.push_back(v.field);
  return fields;
}

v1::Course ValidCourse() {
  v1::Course course;
  course.set_name("courses/intro-mi");
  course.set_title("Introduction to Motivational Interviewing");
  *course.mutable_duration() = ToProto(absl::Hours(3));
  course.set_level(v1::Course::INTRODUCTORY);
  course.add_eligible_agency_types(training::type::v1::HEALTH);
  NormalizeCourse(course);
  return course;
}

v1::Session ValidSession() {
  v1::Session session;
  *session.mutable_start_time() = ToProto(kNow + absl::Hours(24 * 30));
  *session.mutable_end_time() =
      ToProto(kNow + absl::Hours(24 * 30) + absl::Hours(3));
  session.set_delivery_mode(v1::IN_PERSON);
  session.set_venue("venues/county-hall");
  session.set_capacity(25);
  NormalizeSession(session, kNow);
  return session;
}

std::vector<std::string> SessionViolations(const v1::Session& session,
                                           bool has_joining = false) {
  std::vector<FieldViolation> out;
  ValidateSession(session, {.now = kNow, .has_joining_details = has_joining},
                  "session", out);
  return Fields(out);
}

TEST(SlugTest, AcceptsOnlyTheDocumentedShape) {
  struct Row {
    const char* slug;
    bool valid;
  } rows[] = {
      {"intro-mi", true},
      {"abc", true},
      {"a1-b2", true},
      {"ab", false},
      {"1abc", false},
      {"abc-", false},
      {"Abc", false},
      {"ab_c", false},
      {"ab c", false},
      {"", false},
      {"a23456789012345678901234567890123456789012345678901234567890123", true},
      {"a234567890123456789012345678901234567890123456789012345678901234",
       false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.slug);
    EXPECT_EQ(IsValidSlug(row.slug), row.valid);
  }
}

TEST(SessionNameTest, ParsesCourseAndSession) {
  auto parsed = ParseSessionName("courses/intro-mi/sessions/abc123");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->course, "courses/intro-mi");
  EXPECT_EQ(parsed->session, "abc123");
  EXPECT_FALSE(ParseSessionName("courses/intro-mi/sessions/"));
  EXPECT_FALSE(ParseSessionName("courses/intro-mi/sessions/ABC"));
  EXPECT_FALSE(ParseSessionName("courses/x/sessions/abc"));
  EXPECT_FALSE(ParseSessionName("trainers/intro-mi/sessions/abc"));
}

TEST(SessionNameTest, NewIdsAreValidAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    std::string id = *NewSessionId();
    ASSERT_TRUE(ParseSessionName(absl::StrCat("courses/abc/sessions/", id)));
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(PostcodeTest, CanonicalisesUkPostcodes) {
  struct Row {
    const char* in;
    const char* out;  // nullptr: rejected
  } rows[] = {
      {"cm1 1xy", "CM1 1XY"}, {"CM11XY", "CM1 1XY"},  {"SW1A 1AA", "SW1A 1AA"},
      {"m1 1ae", "M1 1AE"},   {"B33 8TH", "B33 8TH"}, {"CR2 6XH", "CR2 6XH"},
      {"W1A0AX", "W1A 0AX"},  {"12345", nullptr},     {"CM1", nullptr},
      {"CM1 1X1", nullptr},   {"", nullptr},          {"ABC1 1AA", nullptr},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.in);
    auto canonical = CanonicalPostcode(row.in);
    if (row.out == nullptr) {
      EXPECT_FALSE(canonical.has_value());
    } else {
      EXPECT_EQ(canonical.value_or("<none>"), row.out);
    }
  }
}

TEST(VenueTest, DerivesTheAreaFromThePostcode) {
  v1::Venue venue;
  venue.set_postcode("cm2 0hu");
  NormalizeVenue(venue);
  EXPECT_EQ(venue.postcode(), "CM2 0HU");
  EXPECT_EQ(venue.area(), "CM2");
}

TEST(CourseValidationTest, AcceptsAValidCourse) {
  std::vector<FieldViolation> out;
  ValidateCourse(ValidCourse(), "course", out);
  EXPECT_THAT(out, IsEmpty());
}

TEST(CourseValidationTest, NamesEachBrokenField) {
  struct Row {
    const char* field;
    std::function<void(v1::Course&)> breaks;
  } rows[] = {
      {"course.title", [](v1::Course& c) { c.clear_title(); }},
      {"course.title",
       [](v1::Course& c) { c.set_title(std::string(201, 'x')); }},
      {"course.summary",
       [](v1::Course& c) { c.set_summary(std::string(2001, 'x')); }},
      {"course.audience",
       [](v1::Course& c) { c.set_audience(std::string(1001, 'x')); }},
      {"course.duration", [](v1::Course& c) { c.clear_duration(); }},
      {"course.duration",
       [](v1::Course& c) {
         *c.mutable_duration() = ToProto(absl::Hours(200));
       }},
      {"course.level", [](v1::Course& c) { c.clear_level(); }},
      {"course.eligible_agency_types",
       [](v1::Course& c) { c.clear_eligible_agency_types(); }},
      {"course.eligible_agency_types",
       [](v1::Course& c) {
         c.add_eligible_agency_types(training::type::v1::HEALTH);
       }},
      {"course.eligible_agency_types",
       [](v1::Course& c) {
         c.add_eligible_agency_types(
             training::type::v1::AGENCY_TYPE_UNSPECIFIED);
       }},
      {"course.prerequisites",
       [](v1::Course& c) { c.add_prerequisites("nope"); }},
      {"course.prerequisites",
       [](v1::Course& c) { c.add_prerequisites("courses/intro-mi"); }},
      {"course.tags", [](v1::Course& c) { c.add_tags("Bad Tag"); }},
      {"course.waitlist_policy.hold_duration",
       [](v1::Course& c) {
         c.mutable_waitlist_policy()->set_mode(
             v1::WaitlistPolicy::OFFER_WITH_HOLD);
         *c.mutable_waitlist_policy()->mutable_hold_duration() =
             ToProto(absl::Minutes(30));
         *c.mutable_waitlist_policy()->mutable_minimum_hold_duration() =
             ToProto(absl::Minutes(20));
       }},
      {"course.waitlist_policy.minimum_hold_duration",
       [](v1::Course& c) {
         c.mutable_waitlist_policy()->set_mode(
             v1::WaitlistPolicy::OFFER_WITH_HOLD);
         *c.mutable_waitlist_policy()->mutable_hold_duration() =
             ToProto(absl::Hours(48));
         *c.mutable_waitlist_policy()->mutable_minimum_hold_duration() =
             ToProto(absl::Minutes(5));
       }},
      {"course.late_cancellation_window",
       [](v1::Course& c) {
         *c.mutable_late_cancellation_window() = ToProto(absl::Hours(24 * 31));
       }},
      {"course.no_show_policy.max_no_shows",
       [](v1::Course& c) { c.mutable_no_show_policy()->set_max_no_shows(11); }},
      {"course.article", [](v1::Course& c) { c.set_article("article/x"); }},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.field);
    v1::Course course = ValidCourse();
    row.breaks(course);
    std::vector<FieldViolation> out;
    ValidateCourse(course, "course", out);
    EXPECT_THAT(Fields(out), ElementsAre(row.field));
  }
}

TEST(CourseValidationTest, OfferPolicyGetsDefaultHolds) {
  v1::Course course = ValidCourse();
  course.mutable_waitlist_policy()->set_mode(
      v1::WaitlistPolicy::OFFER_WITH_HOLD);
  NormalizeCourse(course);
  EXPECT_EQ(FromProto(course.waitlist_policy().hold_duration()),
            absl::Hours(48));
  EXPECT_EQ(FromProto(course.waitlist_policy().minimum_hold_duration()),
            absl::Hours(2));
  EXPECT_EQ(FromProto(course.late_cancellation_window()), absl::Hours(48));
}

TEST(SessionValidationTest, AcceptsAValidSession) {
  EXPECT_THAT(SessionViolations(ValidSession()), IsEmpty());
}

TEST(SessionValidationTest, NamesEachBrokenField) {
  const absl::Time start = kNow + absl::Hours(24 * 30);
  struct Row {
    const char* field;
    std::function<void(v1::Session&)> breaks;
  } rows[] = {
      {"session.end_time",
       [&](v1::Session& s) { *s.mutable_end_time() = s.start_time(); }},
      {"session.end_time",
       [&](v1::Session& s) {
         *s.mutable_end_time() = ToProto(start + absl::Hours(24 * 6));
       }},
      {"session.capacity", [](v1::Session& s) { s.set_capacity(0); }},
      {"session.capacity", [](v1::Session& s) { s.set_capacity(10001); }},
      {"session.booking_close_time",
       [&](v1::Session& s) {
         *s.mutable_booking_close_time() = ToProto(start + absl::Hours(1));
       }},
      {"session.booking_close_time",
       [&](v1::Session& s) {
         *s.mutable_booking_close_time() = ToProto(kNow);
       }},
      {"session.venue", [](v1::Session& s) { s.clear_venue(); }},
      {"session.venue",
       [](v1::Session& s) {
         s.set_delivery_mode(v1::ONLINE);
         s.set_venue("venues/county-hall");
       }},
      {"session.delivery_mode",
       [](v1::Session& s) {
         s.set_delivery_mode(v1::DELIVERY_MODE_UNSPECIFIED);
       }},
      {"session.time_zone",
       [](v1::Session& s) { s.set_time_zone("Mars/Base"); }},
      {"session.time_zone",
       [](v1::Session& s) { s.set_time_zone("file:/etc/localtime"); }},
      {"session.time_zone",
       [](v1::Session& s) { s.set_time_zone("/usr/share/zoneinfo/UTC"); }},
      {"session.time_zone",
       [](v1::Session& s) { s.set_time_zone("libc:localtime"); }},
      {"session.time_zone",
       [](v1::Session& s) { s.set_time_zone("../zoneinfo/Europe/London"); }},
      {"session.title",
       [](v1::Session& s) { s.set_title(std::string(201, 't')); }},
      {"session.trainers",
       [](v1::Session& s) {
         s.add_trainers("trainers/amy");
         s.add_trainers("trainers/amy");
       }},
      {"session.agency_holds[0].places",
       [&](v1::Session& s) {
         auto* hold = s.add_agency_holds();
         hold->add_agency_types(training::type::v1::POLICE);
         hold->set_places(26);
         *hold->mutable_release_time() = ToProto(start - absl::Hours(48));
       }},
      {"session.agency_holds[0].release_time",
       [&](v1::Session& s) {
         auto* hold = s.add_agency_holds();
         hold->add_agency_types(training::type::v1::POLICE);
         hold->set_places(5);
         *hold->mutable_release_time() = ToProto(start + absl::Hours(1));
       }},
      {"session.agency_holds",
       [&](v1::Session& s) {
         for (auto type :
              {training::type::v1::POLICE, training::type::v1::HEALTH}) {
           auto* hold = s.add_agency_holds();
           hold->add_agency_types(type);
           hold->set_places(20);
           *hold->mutable_release_time() = ToProto(start - absl::Hours(48));
         }
       }},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.field);
    v1::Session session = ValidSession();
    row.breaks(session);
    EXPECT_THAT(SessionViolations(session), ElementsAre(row.field));
  }
}

TEST(SessionValidationTest, OnlineSoonNeedsJoiningDetails) {
  v1::Session session = ValidSession();
  session.set_delivery_mode(v1::ONLINE);
  session.clear_venue();
  *session.mutable_start_time() = ToProto(kNow + absl::Hours(2));
  *session.mutable_end_time() = ToProto(kNow + absl::Hours(4));
  *session.mutable_booking_close_time() = session.start_time();

  EXPECT_THAT(SessionViolations(session),
              ElementsAre("joining_details.joining_url"));
  EXPECT_THAT(SessionViolations(session, /*has_joining=*/true), IsEmpty());
}

TEST(JoiningDetailsTest, NeedsAnHttpsUrl) {
  for (const char* url :
       {"", "http://meet.example/x", "https://", "https://a b"}) {
    SCOPED_TRACE(url);
    v1::JoiningDetails details;
    details.set_joining_url(url);
    std::vector<FieldViolation> out;
    ValidateJoiningDetails(details, "joining_details", out);
    EXPECT_THAT(Fields(out), ElementsAre("joining_details.joining_url"));
  }
}

TEST(UpdateMaskTest, RejectsOutputOnlyUnknownAndStar) {
  struct Row {
    std::vector<std::string> paths;
    bool valid;
  } rows[] = {
      {{"title"}, true},
      {{"capacity", "venue"}, true},
      {{}, false},
      {{"*"}, false},
      {{"name"}, false},
      {{"state"}, false},
      {{"etag"}, false},
      {{"nope"}, false},
      {{"local_start"}, false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(::testing::PrintToString(row.paths));
    google::protobuf::FieldMask mask;
    for (const auto& path : row.paths) mask.add_paths(path);
    std::vector<FieldViolation> out;
    ValidateUpdateMask(mask, *v1::Session::descriptor(), out);
    EXPECT_EQ(out.empty(), row.valid);
    if (!row.valid) {
      EXPECT_THAT(Fields(out), ElementsAre("update_mask"));
    }
  }
}

TEST(UpdateMaskTest, ReplacesRepeatedFields) {
  v1::Session to = ValidSession();
  to.add_trainers("trainers/amy");
  to.add_trainers("trainers/bob");
  v1::Session from;
  from.add_trainers("trainers/cat");
  google::protobuf::FieldMask mask;
  mask.add_paths("trainers");

  ApplyUpdateMask(mask, from, to);

  EXPECT_THAT(to.trainers(), ElementsAre("trainers/cat"));
  EXPECT_EQ(to.capacity(), 25);
}

TEST(SessionChangesTest, ClassifiesWhatChanged) {
  const v1::Session before = ValidSession();
  v1::Session after = before;
  after.set_capacity(30);
  *after.mutable_end_time() =
      ToProto(FromProto(before.end_time()) + absl::Minutes(30));
  after.set_title("Development group");

  EXPECT_THAT(SessionChanges(before, after),
              ElementsAre(events::v1::TIME, events::v1::CAPACITY,
                          events::v1::DESCRIPTION));
  EXPECT_THAT(SessionChanges(before, before), IsEmpty());
}

// The last Sundays of March and October 2027 are the 28th and the 31st.
TEST(LocalTimeTest, KeepsWallClockAcrossDstChanges) {
  struct Row {
    absl::CivilMinute start;
    const char* local_start;
    const char* local_end;
  } rows[] = {
      {absl::CivilMinute(2027, 3, 28, 9, 30), "2027-03-28T09:30:00+01:00",
       "2027-03-28T13:00:00+01:00"},
      {absl::CivilMinute(2027, 3, 27, 9, 30), "2027-03-27T09:30:00+00:00",
       "2027-03-27T13:00:00+00:00"},
      {absl::CivilMinute(2027, 10, 31, 9, 30), "2027-10-31T09:30:00+00:00",
       "2027-10-31T13:00:00+00:00"},
      {absl::CivilMinute(2027, 10, 30, 9, 30), "2027-10-30T09:30:00+01:00",
       "2027-10-30T13:00:00+01:00"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.local_start);
    auto start = LocalToInstant(row.start, kDefaultTimeZone);
    auto end = LocalToInstant(row.start + 210, kDefaultTimeZone);
    ASSERT_TRUE(start.ok() && end.ok());
    v1::Session session;
    session.set_time_zone(kDefaultTimeZone);
    *session.mutable_start_time() = ToProto(*start);
    *session.mutable_end_time() = ToProto(*end);

    FillLocalTimes(session);

    EXPECT_EQ(session.local_start(), row.local_start);
    EXPECT_EQ(session.local_end(), row.local_end);
    EXPECT_EQ(*end - *start, absl::Minutes(210));
  }
}

TEST(LocalTimeTest, SkippedAndRepeatedTimesResolve) {
  // 01:30 does not exist on 28 March 2027 and happens twice on 31 October.
  auto skipped =
      LocalToInstant(absl::CivilMinute(2027, 3, 28, 1, 30), kDefaultTimeZone);
  auto repeated =
      LocalToInstant(absl::CivilMinute(2027, 10, 31, 1, 30), kDefaultTimeZone);
  ASSERT_TRUE(skipped.ok() && repeated.ok());
  EXPECT_EQ(*skipped, absl::FromCivil(absl::CivilSecond(2027, 3, 28, 1, 0, 0),
                                      absl::UTCTimeZone()));
  EXPECT_EQ(*repeated,
            absl::FromCivil(absl::CivilSecond(2027, 10, 31, 0, 30, 0),
                            absl::UTCTimeZone()));
  EXPECT_THAT(
      LocalToInstant(absl::CivilMinute(2027, 1, 1, 0, 0), "No/Zone").status(),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EffectiveStateTest, EndedScheduledSessionsAreCompleted) {
  v1::Session session = ValidSession();
  session.set_state(v1::Session::SCHEDULED);
  EXPECT_EQ(EffectiveState(session, kNow), v1::Session::SCHEDULED);
  EXPECT_EQ(EffectiveState(session, FromProto(session.end_time())),
            v1::Session::COMPLETED);
  session.set_state(v1::Session::CANCELLED);
  EXPECT_EQ(EffectiveState(session, FromProto(session.end_time())),
            v1::Session::CANCELLED);
}

// Only names from the zone database: the loader behind them would read any
// file a path or `file:` spec named.
TEST(TimeZoneTest, IanaNamesLoadAndPathsOrSpecsNeverDo) {
  absl::TimeZone zone;
  for (const char* name : {"Europe/London", "UTC", "Etc/GMT+1",
                           "America/Argentina/Buenos_Aires", "EST5EDT"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(LoadIanaTimeZone(name, &zone));
  }
  for (const char* name :
       {"", "/etc/localtime", "file:/etc/localtime", "libc:localtime",
        "../zoneinfo/UTC", "Europe/../Europe/London", "Europe//London",
        "Fixed/UTC+01:00", "Mars/Base", "zone.tab", "localtime", "posixrules",
        "Factory", "posix/Europe/London"}) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(LoadIanaTimeZone(name, &zone));
  }
}

}  // namespace
}  // namespace training::catalogue

#include "services/catalogue/demo_programme.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/time/proto_time.h"
#include "services/catalogue/domain.h"

namespace training::catalogue {
namespace {

using training::type::v1::AgencyType;
namespace type = training::type::v1;

const std::vector<AgencyType> kEveryAgency = {type::CHILDRENS_SOCIAL_CARE,
                                              type::EARLY_HELP,
                                              type::HEALTH,
                                              type::EDUCATION,
                                              type::POLICE,
                                              type::PROBATION_YOUTH_JUSTICE,
                                              type::HOUSING,
                                              type::VOLUNTARY_SECTOR,
                                              type::OTHER};

v1::CreateVenueRequest Venue(const char* id, const char* name,
                             std::vector<const char*> address,
                             const char* locality, const char* postcode,
                             const char* access) {
  v1::CreateVenueRequest r;
  r.set_venue_id(id);
  auto* v = r.mutable_venue();
  v->set_display_name(name);
  for (const char* line : address) v->add_address_lines(line);
  v->set_locality(locality);
  v->set_postcode(postcode);
  v->set_accessibility_notes(access);
  return r;
}

v1::CreateTrainerRequest Trainer(const char* id, const char* name,
                                 std::vector<const char*> accreditations,
                                 const char* bio_article = "") {
  v1::CreateTrainerRequest r;
  r.set_trainer_id(id);
  r.mutable_trainer()->set_display_name(name);
  r.mutable_trainer()->set_bio_article(bio_article);
  for (const char* a : accreditations) {
    r.mutable_trainer()->add_accreditations(a);
  }
  return r;
}

struct CourseText {
  const char* id;
  const char* title;
  const char* summary;
  const char* audience;
  absl::Duration duration;
  v1::Course::Level level;
  std::vector<AgencyType> agencies;
  std::vector<const char*> tags;
  bool offers;  // OFFER_WITH_HOLD rather than AUTO_CONFIRM
  const char* prerequisite;
};

v1::CreateCourseRequest Course(const CourseText& t) {
  v1::CreateCourseRequest r;
  r.set_course_id(t.id);
  auto* c = r.mutable_course();
  c->set_title(t.title);
  c->set_summary(t.summary);
  c->set_audience(t.audience);
  *c->mutable_duration() = ToProto(t.duration);
  c->set_level(t.level);
  for (AgencyType a : t.agencies) c->add_eligible_agency_types(a);
  for (const char* tag : t.tags) c->add_tags(tag);
  c->mutable_waitlist_policy()->set_mode(
      t.offers ? v1::WaitlistPolicy::OFFER_WITH_HOLD
               : v1::WaitlistPolicy::AUTO_CONFIRM);
  *c->mutable_late_cancellation_window() = ToProto(absl::Hours(48));
  c->mutable_no_show_policy()->set_description(
      "Places are free but limited. If you cannot come, please cancel so "
      "that someone on the waiting list can have your place. After two "
      "no-shows in a year we will ask your manager to confirm new bookings.");
  c->mutable_no_show_policy()->set_max_no_shows(2);
  *c->mutable_no_show_policy()->mutable_lookback() =
      ToProto(absl::Hours(24 * 365));
  // Its description is the content service's seed article of that name.
  c->set_article(absl::StrCat("articles/course-", t.id));
  if (t.prerequisite != nullptr) c->add_prerequisites(t.prerequisite);
  return r;
}

// The n-th (1-based) `weekday` of the month holding `month`.
absl::CivilDay NthWeekday(absl::CivilMonth month, absl::Weekday weekday,
                          int n) {
  absl::CivilDay day(month);
  while (absl::GetWeekday(day) != weekday) ++day;
  return day + 7 * (n - 1);
}

// A session of `course` from `from` to `to` local time on `first_day`
// (to on `last_day` when given, for multi-day sessions).
v1::CreateSessionRequest Session(const char* course, absl::CivilDay first_day,
                                 int from_hour, int from_minute,
                                 absl::CivilDay last_day, int to_hour,
                                 int to_minute, int capacity, const char* venue,
                                 std::vector<const char*> trainers,
                                 const char* title = "") {
  v1::CreateSessionRequest r;
  r.set_parent(absl::StrCat("courses/", course));
  auto* s = r.mutable_session();
  s->set_title(title);
  const absl::Time start = *LocalToInstant(
      absl::CivilMinute(first_day) + from_hour * 60 + from_minute,
      kDefaultTimeZone);
  const absl::Time end = *LocalToInstant(
      absl::CivilMinute(last_day) + to_hour * 60 + to_minute, kDefaultTimeZone);
  *s->mutable_start_time() = ToProto(start);
  *s->mutable_end_time() = ToProto(end);
  s->set_time_zone(kDefaultTimeZone);
  s->set_capacity(capacity);
  for (const char* t : trainers) s->add_trainers(absl::StrCat("trainers/", t));
  if (venue == nullptr) {
    s->set_delivery_mode(v1::ONLINE);
    r.mutable_joining_details()->set_joining_url(
        absl::StrCat("https://meet.example.org/partnership-training/", course,
                     "-", absl::FormatCivilTime(first_day)));
    r.mutable_joining_details()->set_instructions(
        "Join from a quiet space with a camera if you can; the link opens "
        "15 minutes before the start.");
  } else {
    s->set_delivery_mode(v1::IN_PERSON);
    s->set_venue(absl::StrCat("venues/", venue));
  }
  // Booking closes two days before, so that the trainers know who is coming.
  *s->mutable_booking_close_time() = ToProto(start - absl::Hours(48));
  return r;
}

}  // namespace

DemoProgramme MakeDemoProgramme(absl::CivilDay today) {
  DemoProgramme p;
  p.venues = {
      Venue("county-hall-chelmsford", "County Hall Learning Centre",
            {"Market Road"}, "Chelmsford", "CM1 1QH",
            "Step-free entrance from Market Road; hearing loop in every "
            "training room; accessible toilets on each floor."),
      Venue("harlow-civic-centre", "Harlow Civic Centre", {"The Water Gardens"},
            "Harlow", "CM20 1WG",
            "Lift to all floors; two disabled parking bays at the front."),
      Venue("colchester-family-hub", "Colchester Family Hub",
            {"Greenstead Road"}, "Colchester", "CO4 3UR",
            "Ground-floor training room; quiet room available on request."),
      Venue("basildon-community-centre", "Basildon Community Centre",
            {"Fodderwick"}, "Basildon", "SS14 1DL",
            "Step-free throughout; on-site car park."),
  };
  p.trainers = {
      Trainer("priya-shah", "Dr Priya Shah",
              {"Member of the Motivational Interviewing Network of Trainers",
               "Clinical psychologist"}),
      Trainer("tom-whitfield", "Tom Whitfield",
              {"Member of the Motivational Interviewing Network of Trainers",
               "Family Safeguarding practice lead", "Registered social worker"},
              "articles/trainer-tom-whitfield"),
      Trainer("grace-okafor", "Grace Okafor",
              {"Specialist health visitor", "MI practice supervisor"}),
  };
  p.courses = {
      Course({"intro-mi",
              "Introduction to Motivational Interviewing",
              "A practical half-day on the spirit and core skills of "
              "Motivational Interviewing: open questions, affirmations, "
              "reflections and summaries, and how they help families talk "
              "about change. Part of the partnership's Family Safeguarding "
              "programme.",
              "Anyone who works with children and families, in any agency. "
              "No previous training needed.",
              absl::Minutes(210),
              v1::Course::INTRODUCTORY,
              kEveryAgency,
              {"motivational-interviewing", "family-safeguarding", "half-day"},
              false,
              nullptr}),
      Course({"mi-three-day-social-care",
              "Motivational Interviewing: three-day introduction for social "
              "care staff",
              "Three days of skills practice with real case examples from "
              "children's social care and early help, with observed "
              "practice and feedback.",
              "Social workers, family support workers and practice "
              "managers in children's services.",
              absl::Hours(7),
              v1::Course::INTRODUCTORY,
              {type::CHILDRENS_SOCIAL_CARE, type::EARLY_HELP},
              {"motivational-interviewing", "social-care", "three-day"},
              true,
              nullptr}),
      Course({"mi-development-group",
              "MI development group",
              "A small group that meets to practise, share recordings and "
              "reflect on using Motivational Interviewing in everyday work.",
              "Practitioners who have completed the introduction.",
              absl::Hours(2),
              v1::Course::INTERMEDIATE,
              kEveryAgency,
              {"motivational-interviewing", "development-group"},
              false,
              "courses/intro-mi"}),
      Course({"mi-family-safeguarding-webinar",
              "Webinar: how MI supports Family Safeguarding",
              "A short online talk on how the principles of Motivational "
              "Interviewing support the Family Safeguarding model, with time "
              "for questions.",
              "Anyone curious about the approach, including managers.",
              absl::Minutes(90),
              v1::Course::INTRODUCTORY,
              kEveryAgency,
              {"motivational-interviewing", "webinar", "family-safeguarding"},
              false,
              nullptr}),
  };

  const char* venues[] = {"county-hall-chelmsford", "harlow-civic-centre",
                          "colchester-family-hub", "basildon-community-centre"};
  const absl::CivilMonth first_month = absl::CivilMonth(today) + 1;
  for (int i = 0; i < 6; ++i) {
    const absl::CivilMonth month = first_month + i;
    // Monthly half-day workshops: in person on the second Tuesday, online
    // on the last-but-one Thursday.
    const absl::CivilDay tuesday = NthWeekday(month, absl::Weekday::tuesday, 2);
    v1::CreateSessionRequest workshop =
        Session("intro-mi", tuesday, 9, 30, tuesday, 13, 0, 24, venues[i % 4],
                {i % 2 == 0 ? "priya-shah" : "grace-okafor"});
    if (i == 0) {
      // Places held for police and health until two weeks before, so that
      // one agency cannot fill the first workshop.
      auto* hold = workshop.mutable_session()->add_agency_holds();
      hold->add_agency_types(type::POLICE);
      hold->add_agency_types(type::HEALTH);
      hold->set_places(6);
      *hold->mutable_release_time() = ToProto(
          FromProto(workshop.session().start_time()) - absl::Hours(24 * 14));
    }
    p.sessions.push_back(workshop);
    const absl::CivilDay thursday =
        NthWeekday(month, absl::Weekday::thursday, 3);
    p.sessions.push_back(Session("intro-mi", thursday, 13, 30, thursday, 17, 0,
                                 30, nullptr, {"tom-whitfield"}));
  }
  // Two three-day introductions, Monday to Wednesday.
  for (int offset : {1, 4}) {
    const absl::CivilDay monday =
        NthWeekday(first_month + offset, absl::Weekday::monday, 1);
    p.sessions.push_back(
        Session("mi-three-day-social-care", monday, 9, 30, monday + 2, 16, 30,
                16, "county-hall-chelmsford", {"priya-shah", "tom-whitfield"}));
  }
  // Development groups every six weeks, online.
  for (int k = 0; k < 4; ++k) {
    const absl::CivilDay day =
        NthWeekday(first_month, absl::Weekday::wednesday, 1) + 42 * k;
    p.sessions.push_back(Session("mi-development-group", day, 10, 0, day, 12, 0,
                                 12, nullptr, {"grace-okafor"},
                                 "Development group: reflective practice"));
  }
  // Webinars every other month.
  for (int k = 0; k < 3; ++k) {
    const absl::CivilDay day =
        NthWeekday(first_month + 2 * k, absl::Weekday::friday, 2);
    p.sessions.push_back(Session("mi-family-safeguarding-webinar", day, 12, 30,
                                 day, 14, 0, 100, nullptr, {"tom-whitfield"}));
  }
  return p;
}

}  // namespace training::catalogue

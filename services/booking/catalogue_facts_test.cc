#include "services/booking/catalogue_facts.h"

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/booking/domain.h"

namespace training::booking {
namespace {

namespace catalogue = ::training::catalogue::v1;
using ::testing::HasSubstr;
using ::training::testing::IsOk;
using ::training::testing::StatusIs;

catalogue::Session ValidSession() {
  catalogue::Session s;
  s.set_name("courses/intro-mi/sessions/abc");
  s.set_state(catalogue::Session::SCHEDULED);
  s.set_capacity(25);
  s.mutable_start_time()->set_seconds(1893456000);
  s.mutable_end_time()->set_seconds(1893456000 + 3 * 3600);
  s.mutable_booking_close_time()->set_seconds(1893456000 - 3600);
  s.set_delivery_mode(catalogue::ONLINE);
  auto* hold = s.add_agency_holds();
  hold->add_agency_types(training::type::v1::POLICE);
  hold->set_places(5);
  hold->mutable_release_time()->set_seconds(1893456000 - 86400);
  return s;
}

catalogue::Course ValidCourse() {
  catalogue::Course c;
  c.set_name("courses/intro-mi");
  c.set_state(catalogue::Course::PUBLISHED);
  c.add_eligible_agency_types(training::type::v1::HEALTH);
  c.mutable_late_cancellation_window()->set_seconds(48 * 3600);
  c.mutable_waitlist_policy()->set_mode(
      catalogue::WaitlistPolicy::OFFER_WITH_HOLD);
  c.mutable_waitlist_policy()->mutable_hold_duration()->set_seconds(86400);
  return c;
}

// Events reach booking over Redis: whatever their source, a count that
// would overflow, a time outside the calendar or a name of the wrong shape
// is refused, naming the field, and nothing of it is kept.
TEST(CatalogueFactsTest, OutOfRangeSessionsAreRefusedNamingTheField) {
  ASSERT_THAT(FactsFromCatalogue(ValidSession()), IsOk());
  constexpr int kIntMax = std::numeric_limits<int>::max();
  const std::vector<
      std::pair<std::string, std::function<void(catalogue::Session&)>>>
      rows = {
          {"capacity", [](auto& s) { s.set_capacity(kIntMax); }},
          {"capacity", [](auto& s) { s.set_capacity(0); }},
          {"capacity", [](auto& s) { s.set_capacity(-5); }},
          {"name", [](auto& s) { s.set_name("courses/a/sessions/b/c"); }},
          {"name", [](auto& s) { s.set_name("sessions/b"); }},
          {"start_time",
           [](auto& s) { s.mutable_start_time()->set_seconds(300000000000); }},
          {"start_time", [](auto& s) { s.clear_start_time(); }},
          {"end_time", [](auto& s) { s.mutable_end_time()->set_nanos(-1); }},
          {"end_time",
           [](auto& s) { s.mutable_end_time()->set_seconds(1893456000 - 1); }},
          {"booking_close_time",
           [](auto& s) {
             s.mutable_booking_close_time()->set_seconds(
                 std::numeric_limits<int64_t>::min());
           }},
          {"delivery_mode",
           [](auto& s) {
             s.set_delivery_mode(static_cast<catalogue::DeliveryMode>(77));
           }},
          {"agency_holds[0].places",
           [](auto& s) { s.mutable_agency_holds(0)->set_places(-1); }},
          {"agency_holds[0].places",
           [](auto& s) { s.mutable_agency_holds(0)->set_places(kIntMax); }},
          {"agency_holds[0].agency_types",
           [](auto& s) {
             s.mutable_agency_holds(0)->add_agency_types(
                 static_cast<training::type::v1::AgencyType>(999));
           }},
          {"agency_holds[0].release_time",
           [](auto& s) {
             s.mutable_agency_holds(0)->mutable_release_time()->set_nanos(
                 2000000000);
           }},
          // Each within range, together more than the capacity.
          {"agency_holds",
           [](auto& s) {
             for (int i = 0; i < 5; ++i)
               *s.add_agency_holds() = s.agency_holds(0);
           }},
      };
  for (const auto& [field, breaks] : rows) {
    SCOPED_TRACE(field);
    catalogue::Session session = ValidSession();
    breaks(session);

    auto facts = FactsFromCatalogue(session);

    EXPECT_THAT(facts.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr(field + ":")));
  }
}

TEST(CatalogueFactsTest, OutOfRangeCoursesAreRefusedNamingTheField) {
  ASSERT_THAT(RulesFromCatalogue(ValidCourse()), IsOk());
  const std::vector<
      std::pair<std::string, std::function<void(catalogue::Course&)>>>
      rows = {
          {"name", [](auto& c) { c.set_name("courses/a/b"); }},
          {"eligible_agency_types",
           [](auto& c) {
             c.add_eligible_agency_types(
                 static_cast<training::type::v1::AgencyType>(-3));
           }},
          {"late_cancellation_window",
           [](auto& c) {
             c.mutable_late_cancellation_window()->set_seconds(-1);
           }},
          {"waitlist_policy.hold_duration",
           [](auto& c) {
             c.mutable_waitlist_policy()->mutable_hold_duration()->set_seconds(
                 int64_t{1} << 40);
           }},
          {"waitlist_policy.mode",
           [](auto& c) {
             c.mutable_waitlist_policy()->set_mode(
                 static_cast<catalogue::WaitlistPolicy::Mode>(9));
           }},
      };
  for (const auto& [field, breaks] : rows) {
    SCOPED_TRACE(field);
    catalogue::Course course = ValidCourse();
    breaks(course);

    auto rules = RulesFromCatalogue(course);

    EXPECT_THAT(rules.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr(field + ":")));
  }
}

}  // namespace
}  // namespace training::booking

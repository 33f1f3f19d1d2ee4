// The catalogue's courses and sessions as booking keeps them. They arrive
// as events over Redis (or from the catalogue's API): nothing in them is
// trusted to be in range, since a capacity of two billion or a time past
// the year 9999 would overflow the counts and conversions the booking
// rules do.

#include "services/booking/catalogue_facts.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/booking/domain.h"
#include "services/booking/domain_proto.h"
#include "training/type/v1/agency_type.pb.h"

namespace training::booking {
namespace {

namespace catalogue = ::training::catalogue::v1;

// The catalogue's own limits (services/catalogue/domain.cc).
constexpr int kMaxCapacity = 10000;
constexpr int kMaxHolds = 20;
constexpr int kMaxAgencyTypes = 32;
constexpr absl::Duration kMaxSessionLength = absl::Hours(24 * 5);
constexpr absl::Duration kMaxWindow = absl::Hours(24 * 366);

// 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, as google.protobuf.Timestamp
// allows.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

class Checker {
 public:
  explicit Checker(std::string what) : what_(std::move(what)) {}

  void Require(bool ok, absl::string_view field, absl::string_view rule) {
    if (!ok && first_.empty()) first_ = absl::StrCat(field, ": ", rule);
  }
  // A set timestamp in range; `required`: it must be set.
  void Time(const google::protobuf::Timestamp& t, absl::string_view field,
            bool required = true) {
    const bool set = t.seconds() != 0 || t.nanos() != 0;
    Require(!required || set, field, "is required");
    Require(t.seconds() >= kMinSeconds && t.seconds() <= kMaxSeconds &&
                t.nanos() >= 0 && t.nanos() <= 999999999,
            field, "is not a valid time");
  }
  void Duration(const google::protobuf::Duration& d, absl::string_view field,
                absl::Duration max) {
    const bool valid = d.nanos() > -1000000000 && d.nanos() < 1000000000 &&
                       d.seconds() >= 0 && d.nanos() >= 0;
    Require(valid && FromProto(d) <= max, field,
            absl::StrCat("must be from 0 to ", absl::FormatDuration(max)));
  }
  void AgencyTypes(const google::protobuf::RepeatedField<int>& types,
                   absl::string_view field) {
    Require(types.size() <= kMaxAgencyTypes, field, "too many");
    for (int type : types) {
      Require(training::type::v1::AgencyType_IsValid(type) && type != 0, field,
              "holds an unknown agency type");
    }
  }

  absl::Status Result() const {
    if (first_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat(what_, " out of range: ", first_));
  }

 private:
  std::string what_;
  std::string first_;
};

bool IsCourseName(absl::string_view name) {
  return absl::StartsWith(name, "courses/") && name.size() > 8 &&
         name.size() <= 80 && name.find('/', 8) == absl::string_view::npos;
}

}  // namespace

absl::StatusOr<CourseRules> RulesFromCatalogue(
    const catalogue::Course& course) {
  Checker check("course");
  check.Require(IsCourseName(course.name()), "name",
                "must be courses/{course}");
  check.AgencyTypes(course.eligible_agency_types(), "eligible_agency_types");
  check.Duration(course.late_cancellation_window(), "late_cancellation_window",
                 kMaxWindow);
  const catalogue::WaitlistPolicy& policy = course.waitlist_policy();
  check.Require(catalogue::WaitlistPolicy::Mode_IsValid(policy.mode()),
                "waitlist_policy.mode", "is unknown");
  check.Duration(policy.hold_duration(), "waitlist_policy.hold_duration",
                 kMaxWindow);
  check.Duration(policy.minimum_hold_duration(),
                 "waitlist_policy.minimum_hold_duration", kMaxWindow);
  check.Time(course.update_time(), "update_time", /*required=*/false);
  RETURN_IF_ERROR(check.Result());

  CourseRules rules;
  rules.course = course.name();
  rules.published = course.state() == catalogue::Course::PUBLISHED;
  for (int type : course.eligible_agency_types()) {
    rules.eligible_agency_types.insert(static_cast<AgencyType>(type));
  }
  rules.late_cancellation_window = FromProto(course.late_cancellation_window());
  rules.offer_policy.offer =
      policy.mode() == catalogue::WaitlistPolicy::OFFER_WITH_HOLD;
  if (IsSet(policy.hold_duration())) {
    rules.offer_policy.hold = FromProto(policy.hold_duration());
  }
  if (IsSet(policy.minimum_hold_duration())) {
    rules.offer_policy.minimum_hold = FromProto(policy.minimum_hold_duration());
  }
  rules.source_time = FromProto(course.update_time());
  return rules;
}

absl::StatusOr<SessionFacts> FactsFromCatalogue(
    const catalogue::Session& session) {
  Checker check("session");
  const size_t sessions = session.name().find("/sessions/");
  check.Require(
      sessions != std::string::npos &&
          IsCourseName(session.name().substr(0, sessions)) &&
          session.name().size() <= 120 &&
          session.name().find('/', sessions + 10) == std::string::npos &&
          session.name().size() > sessions + 10,
      "name", "must be courses/{course}/sessions/{session}");
  check.Require(session.capacity() >= 1 && session.capacity() <= kMaxCapacity,
                "capacity", absl::StrCat("must be 1 to ", kMaxCapacity));
  check.Time(session.start_time(), "start_time");
  check.Time(session.end_time(), "end_time");
  check.Require(
      FromProto(session.end_time()) > FromProto(session.start_time()) &&
          FromProto(session.end_time()) - FromProto(session.start_time()) <=
              kMaxSessionLength,
      "end_time", "must be after start_time, at most 5 days");
  check.Time(session.booking_open_time(), "booking_open_time", false);
  check.Time(session.booking_close_time(), "booking_close_time", false);
  check.Require(catalogue::DeliveryMode_IsValid(session.delivery_mode()),
                "delivery_mode", "is unknown");
  check.Require(session.agency_holds_size() <= kMaxHolds, "agency_holds",
                "too many");
  int64_t held = 0;  // 64 bits: the sum of many int32 may not overflow
  for (int i = 0; i < session.agency_holds_size(); ++i) {
    const catalogue::AgencyHold& hold = session.agency_holds(i);
    const std::string field = absl::StrCat("agency_holds[", i, "]");
    check.AgencyTypes(hold.agency_types(), field + ".agency_types");
    check.Require(hold.places() >= 0 && hold.places() <= kMaxCapacity,
                  field + ".places", "out of range");
    held += hold.places();
    check.Time(hold.release_time(), field + ".release_time");
  }
  check.Require(held <= session.capacity(), "agency_holds",
                "hold more places than the capacity");
  check.Time(session.update_time(), "update_time", /*required=*/false);
  RETURN_IF_ERROR(check.Result());

  SessionFacts facts;
  facts.session = session.name();
  facts.course = session.name().substr(0, sessions);
  facts.scheduled = session.state() != catalogue::Session::CANCELLED;
  facts.capacity = session.capacity();
  facts.booking_open = FromProto(session.booking_open_time());
  facts.booking_close = FromProto(session.booking_close_time());
  facts.start = FromProto(session.start_time());
  facts.end = FromProto(session.end_time());
  facts.delivery_mode = DeliveryModeOf(session.delivery_mode());
  for (const catalogue::AgencyHold& hold : session.agency_holds()) {
    HeldPlaces places;
    for (int type : hold.agency_types()) {
      places.agency_types.insert(static_cast<AgencyType>(type));
    }
    places.places = hold.places();
    places.release = FromProto(hold.release_time());
    facts.holds.push_back(std::move(places));
  }
  facts.source_time = FromProto(session.update_time());
  return facts;
}

}  // namespace training::booking

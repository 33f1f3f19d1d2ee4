#ifndef TRAINING_SERVICES_BOOKING_RECORDS_TEST_FIXTURE_H_
#define TRAINING_SERVICES_BOOKING_RECORDS_TEST_FIXTURE_H_

// The records tests' fixture: the bookings fixture with Records over it,
// a cast of people from two agencies, and helpers to book as them and
// mark the register.

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
#include "services/booking/records.h"

namespace training::booking {

inline const absl::Time kStarted = kNow + absl::Hours(24 * 10 + 1);
inline constexpr char kLater[] = "courses/intro-mi/sessions/later";

struct Someone {
  std::string name;
  std::string email;
  std::string organisation;
  type::AgencyType agency_type;
};

class RecordsFixture : public BookingsFixture {
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

inline Caller Agency(const std::string& organisation) {
  Caller c;
  c.kind = Caller::Kind::kAgency;
  c.organisation = organisation;
  return c;
}

inline const Someone kAnn{"Ann Archer", "ann@nhs.example",
                          "Northshire NHS Trust", type::HEALTH};
inline const Someone kBen{"Ben Baker", "ben@school.example", "Hill School",
                          type::EDUCATION};
inline const Someone kCat{"Cat Cole", "cat@nhs.example", "Northshire NHS Trust",
                          type::HEALTH};
inline const Someone kDan{"Dan Dale", "dan@school.example", "Hill School",
                          type::EDUCATION};
inline const Someone kEve{"Eve Ellis", "eve@nhs.example",
                          "Northshire NHS Trust", type::HEALTH};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_RECORDS_TEST_FIXTURE_H_

#ifndef TRAINING_SERVICES_BOOKING_REPORTS_H_
#define TRAINING_SERVICES_BOOKING_REPORTS_H_

// The figures the training team reports, in plain C++: the reach of the
// programme by agency type and organisation, unmet demand per course,
// late cancellations and no-shows per person or organisation, the report
// as CSV, and a booking's history for a subject access request. Inputs are
// facts read from the store; nothing here touches SQL or gRPC.

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "training/booking/v1/booking_service.pb.h"

namespace training::booking {

// One booking of a session, as the reports need it. Erased bookings keep
// their organisation and agency type, so that reports keep their counts.
struct ReachFact {
  std::string course;   // courses/{course}
  std::string session;  // courses/{course}/sessions/{session}
  std::string organisation;
  std::string email_key;  // empty once erased
  int agency_type = 0;
  v1::Booking::State state = v1::Booking::STATE_UNSPECIFIED;
  absl::Time create_time;
  std::optional<absl::Time> confirm_time;
  std::optional<absl::Time> cancel_time;
  bool late = false;
  v1::Attendance attendance = v1::ATTENDANCE_UNSPECIFIED;
};

// A session that starts in a report's period.
struct SessionStart {
  std::string course;
  std::string session;
  absl::Time start;
  bool scheduled = true;  // false once cancelled: it never starts
};

// Whether the booking was on the waiting list at `t`: made before `t`,
// not confirmed on creation, and neither confirmed nor ended before `t`.
bool WaitingAt(const ReachFact& fact, absl::Time t);

// The reach report for [start, end): `facts` are the bookings of sessions
// starting in the period and `sessions` those sessions; unmet demand counts
// the people waiting when each session that has started by `now` started.
v1::ReachReport BuildReachReport(const std::vector<ReachFact>& facts,
                                 const std::vector<SessionStart>& sessions,
                                 absl::Time start, absl::Time end,
                                 absl::Time now);

// The report as RFC 4180 CSV: UTF-8, CRLF line ends, a header row, one row
// per total, agency type, organisation and course. Text that a spreadsheet
// would run as a formula (starting with =, +, -, @, tab or CR, or holding
// a semicolon) is prefixed with an apostrophe.
std::string ReachReportCsv(const v1::ReachReport& report);

// A booking's history, oldest first, from what is stored about it.
v1::BookingHistory HistoryOf(const v1::Booking& booking,
                             std::optional<absl::Time> attendance_time);

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_REPORTS_H_

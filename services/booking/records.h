#ifndef TRAINING_SERVICES_BOOKING_RECORDS_H_
#define TRAINING_SERVICES_BOOKING_RECORDS_H_

// What the training team keeps about the programme once people have
// booked: the register and its attendance marks, participation summaries,
// the reach report (as figures and as CSV), and subject access exports.
// Erasure changes bookings and lives with them (personal_data.h).
//
// Free of gRPC: the handler maps callers and statuses. Thread-safe.

#include "absl/status/statusor.h"
#include "common/time/clock.h"
#include "google/api/httpbody.pb.h"
#include "services/booking/booking_view.h"
#include "services/booking/store.h"
#include "training/booking/v1/booking_service.pb.h"

namespace training::booking {

class Records {
 public:
  // Nothing is owned; everything must outlive this. `views` gives exports
  // the same view of a booking as GetBooking.
  Records(BookingStore* store, const Clock* clock, const BookingViews* views);

  // The confirmed attendees of a session, by name, with attendance.
  absl::StatusOr<v1::Register> GetRegister(const Caller& caller,
                                           const v1::GetRegisterRequest& r);
  // Marks attendance for many bookings at once, all or nothing, after the
  // session has started. A mark that changes nothing writes nothing.
  absl::StatusOr<v1::BatchRecordAttendanceResponse> BatchRecordAttendance(
      const Caller& caller, const v1::BatchRecordAttendanceRequest& r);
  absl::StatusOr<v1::ListParticipationSummariesResponse>
  ListParticipationSummaries(const Caller& caller,
                             const v1::ListParticipationSummariesRequest& r);
  // An agency key sees the bookings made with its own key only.
  absl::StatusOr<v1::ReachReport> GetReachReport(
      const Caller& caller, const v1::GetReachReportRequest& r);
  absl::StatusOr<google::api::HttpBody> ExportReachReport(
      const Caller& caller, const v1::GetReachReportRequest& r);
  absl::StatusOr<v1::PersonalDataExport> ExportPersonalData(
      const Caller& caller, const v1::ExportPersonalDataRequest& r);

 private:
  absl::StatusOr<v1::Register> ReadRegister(BookingTransaction& tx,
                                            const std::string& session);

  BookingStore* store_;
  const Clock* clock_;
  const BookingViews* views_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_RECORDS_H_

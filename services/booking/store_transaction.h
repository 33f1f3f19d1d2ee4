#ifndef TRAINING_SERVICES_BOOKING_STORE_TRANSACTION_H_
#define TRAINING_SERVICES_BOOKING_STORE_TRANSACTION_H_

// The booking store's transaction in SQL, one class whose methods live in
// the files of their part: store_sql.cc (inventory, catalogue facts,
// bookings, requests, events), store_batch.cc, store_waitlist.cc,
// store_personal_data.cc and store_reports.cc. What each method does,
// returns and fails with is said once, in store.h.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/sql/database.h"
#include "services/booking/store.h"
#include "services/booking/store_rows.h"

namespace training::booking::sql_store {

class SqlBookingTransaction final : public BookingTransaction {
 public:
  explicit SqlBookingTransaction(sql::Transaction& tx) : tx_(tx) {}

  absl::StatusOr<std::optional<SessionInventory>> LockInventory(
      const std::string& session) override;
  absl::StatusOr<std::optional<SessionInventory>> ReadInventory(
      const std::string& session) override;
  absl::StatusOr<BatchReading> ReadForBatch(
      const std::string& session, const std::vector<std::string>& request_ids,
      const std::vector<std::string>& email_keys, absl::Time now) override;
  absl::Status SaveBatch(
      std::vector<StoredBooking>& bookings,
      std::vector<training::events::v1::Event> events,
      const std::vector<std::pair<std::string, RequestRecord>>& records,
      const std::vector<std::string>& expired_request_ids,
      SessionInventory& inventory, absl::Time now) override;
  absl::Status SaveCounts(SessionInventory& inventory) override;
  absl::StatusOr<bool> PutCourseRules(const CourseRules& rules) override;
  absl::StatusOr<bool> PutSessionFacts(const SessionFacts& f) override;
  absl::StatusOr<std::optional<CourseRules>> FindCourseRules(
      const std::string& course) override;
  absl::Status ArchiveCourse(const std::string& course,
                             absl::Time source_time) override;
  absl::Status CancelSession(const std::string& session) override;
  absl::StatusOr<std::optional<StoredBooking>> FindBooking(
      const std::string& reference) override;
  absl::StatusOr<bool> HasActiveBooking(
      const std::string& session, const std::string& email_key,
      const std::string& except_reference) override;
  absl::Status InsertBookings(std::vector<StoredBooking>& bookings) override;
  absl::Status UpdateBooking(const StoredBooking& stored) override;
  absl::StatusOr<std::vector<StoredBooking>> HeadOfWaitlist(
      const SessionInventory& session, int limit, int64_t after_seq,
      const std::optional<std::set<AgencyType>>& agency_types) override;
  absl::StatusOr<std::set<std::string>> ActiveAddresses(
      const std::string& session,
      const std::vector<std::string>& email_keys) override;
  absl::StatusOr<std::vector<StoredBooking>> ActiveBookings(
      const std::string& session) override;
  absl::StatusOr<int> WaitlistPosition(const std::string& session,
                                       int64_t seq) override;
  absl::StatusOr<int> AnyDatePosition(const std::string& course,
                                      int64_t seq) override;
  absl::StatusOr<bool> HasActiveAnyDateEntry(const std::string& course,
                                             const std::string& email_key,
                                             absl::Time now) override;
  absl::StatusOr<std::vector<std::string>> SessionsOfCourse(
      const std::string& course, absl::Time starting_after) override;
  absl::Status LockCourse(const std::string& course) override;
  absl::StatusOr<std::vector<std::string>> ClaimDueOffers(absl::Time now,
                                                          absl::Duration lease,
                                                          int limit) override;
  absl::StatusOr<std::vector<std::string>> DueHoldReleases(absl::Time now,
                                                           int limit) override;
  absl::Status SetReleaseDue(const std::string& session,
                             std::optional<absl::Time> due) override;
  absl::StatusOr<std::vector<StoredBooking>> ListBookings(
      const std::string& session, const std::string& organisation,
      const std::vector<int>& states, int64_t before_seq, int limit) override;
  absl::Status AddSubstitution(const std::string& reference,
                               const v1::Substitution& substitution,
                               const std::string& contact_id,
                               const v1::Attendee& previous) override;
  absl::StatusOr<int64_t> RenewTokenVersion(
      const std::string& reference) override;
  absl::StatusOr<std::vector<v1::Substitution>> Substitutions(
      const std::string& reference) override;
  absl::Status ForgetPreviousContacts(const std::string& reference) override;
  absl::StatusOr<std::optional<PreviousContact>> FindPreviousContact(
      const std::string& contact_id) override;
  absl::StatusOr<int64_t> ForgetContactsOfEndedSessions(
      absl::Time ended_before) override;
  absl::StatusOr<std::vector<StoredBooking>> SessionBookings(
      const std::string& session, const std::vector<int>& states) override;
  absl::StatusOr<std::map<std::string, StoredBooking>> FindBookings(
      const std::vector<std::string>& references) override;
  absl::Status SetAttendance(const std::string& reference,
                             v1::Attendance attendance, absl::Time at) override;
  absl::StatusOr<std::vector<v1::ParticipationSummary>> ParticipationPage(
      absl::Time from, absl::Time to, bool by_person,
      const std::optional<v1::ParticipationSummary>& after, int limit) override;
  absl::StatusOr<std::vector<ReachFact>> ReachFacts(
      absl::Time from, absl::Time to, const std::string& course,
      const std::string& booked_by_org) override;
  absl::StatusOr<std::vector<SessionStart>> SessionsStarting(
      absl::Time from, absl::Time to, const std::string& course) override;
  absl::StatusOr<std::vector<StoredBooking>> BookingsOfEmail(
      const std::string& email_key) override;
  absl::StatusOr<std::vector<std::string>> ReplacedOn(
      const std::string& email_key) override;
  absl::Status EraseAttendee(const std::string& reference) override;
  static std::string LineManagerKey(sql::Engine engine);
  absl::StatusOr<std::vector<std::string>> NamedAsLineManagerOn(
      const std::string& email_key) override;
  absl::StatusOr<std::vector<std::string>> ForgetLineManager(
      const std::string& email_key) override;
  absl::Status ForgetContactsOf(const std::string& email_key) override;
  absl::StatusOr<int64_t> ForgetAccessNeeds(absl::Time ended_before) override;
  absl::StatusOr<std::optional<RequestRecord>> FindRequest(
      const std::string& request_id, absl::Time now) override;
  absl::Status RecordRequest(const std::string& request_id,
                             const RequestRecord& record,
                             absl::Time now) override;
  absl::Status AddEvent(training::events::v1::Event event) override;
  absl::Status AddEvents(
      std::vector<training::events::v1::Event> events) override;

 private:
  // The inventory LockStatements read; nullopt when the session (or its
  // course) is unknown.
  absl::StatusOr<std::optional<SessionInventory>> LockedInventory(
      const std::string& session, const std::vector<ResultSet>& results);
  // Decodes kInventorySelect's rows; a session with agency holds also
  // needs its occupants by agency type.
  absl::StatusOr<std::optional<SessionInventory>> InventoryFrom(
      const std::string& session, const ResultSet& rows);
  absl::StatusOr<std::vector<StoredBooking>> Bookings(const std::string& sql,
                                                      const Params& params);
  static absl::StatusOr<std::vector<std::string>> Column(
      const ResultSet& rows, absl::string_view column);

  sql::Transaction& tx_;
};

}  // namespace training::booking::sql_store

#endif  // TRAINING_SERVICES_BOOKING_STORE_TRANSACTION_H_

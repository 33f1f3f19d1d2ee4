#ifndef TRAINING_SERVICES_BOOKING_STORE_H_
#define TRAINING_SERVICES_BOOKING_STORE_H_

// What the booking service needs stored, in domain types. Everything
// happens inside a BookingTransaction, so that a decision, the counts it
// changes, its idempotency record and its events commit together.
//
// The one lock that matters: LockInventory takes the session's inventory
// row lock (FOR UPDATE on PostgreSQL; the write transaction on SQLite)
// before any count is read, so that two replicas can never both see "one
// place left" and both confirm.
//
// Errors: every method may fail as the database does (common/sql/
// database.h): UNAVAILABLE (unreachable, no connection free),
// DEADLINE_EXCEEDED, ABORTED (a conflict: BookingStore::Run runs the
// transaction again), INTERNAL (a bug). The comments below name only the
// errors particular to a method; "nothing else" means none.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/booking/domain.h"
#include "services/booking/reports.h"
#include "training/events/v1/events.pb.h"

namespace training::booking {

// A booking as stored: the resource (without token, position or
// substitutions, which are derived) plus what orders and signs it.
struct StoredBooking {
  v1::Booking booking;
  int64_t seq = 0;        // arrival order: first come, first served
  std::string token_kid;  // the secret its manage token was issued under
  // Which manage token opens it: 1 when made, one more at each substitution
  // (the person replaced must not keep access to the colleague's details).
  int64_t token_version = 1;
  std::optional<absl::Time> attendance_time;  // when the register was taken
};

// The contact of an attendee a colleague replaced, kept until the booking
// ends.
struct PreviousContact {
  std::string reference;
  std::string display_name;
  std::string email;
};

// The record of an idempotent request.
struct RequestRecord {
  std::string fingerprint;
  std::string reference;
};

// What deciding a batch of bookings for a session reads (ReadForBatch).
struct BatchReading {
  // The live request records of the batch's request ids, by id.
  std::map<std::string, RequestRecord> records;
  // The session's inventory, locked; nullopt when the session is unknown.
  std::optional<SessionInventory> inventory;
  // The batch's addresses that hold an active booking of the session.
  std::set<std::string> active_email_keys;
  // Batch request ids whose records are past retention: SaveBatch deletes
  // these before recording the ids again.
  std::vector<std::string> expired_request_ids;
};

class BookingTransaction {
 public:
  virtual ~BookingTransaction() = default;
  BookingTransaction(const BookingTransaction&) = delete;
  BookingTransaction& operator=(const BookingTransaction&) = delete;

  // The session's inventory joined with its course's rules, its row locked
  // until the transaction ends; nullopt when the session is unknown (or its
  // course is). Write transactions only.
  virtual absl::StatusOr<std::optional<SessionInventory>> LockInventory(
      const std::string& session) = 0;
  // The same without the lock, for display (`any_date_waiting` left 0).
  virtual absl::StatusOr<std::optional<SessionInventory>> ReadInventory(
      const std::string& session) = 0;
  // Writes the counts of a locked inventory and bumps its version; sets
  // `inventory.version` to the new one. NOT_FOUND when the session is
  // unknown.
  virtual absl::Status SaveCounts(SessionInventory& inventory) = 0;

  // Record what the catalogue says, unless what is held is newer (by
  // source_time). Return whether anything changed. A session's counts are
  // kept; a new session starts at zero. FAILED_PRECONDITION or
  // INVALID_ARGUMENT when the database refuses a value.
  virtual absl::StatusOr<bool> PutCourseRules(const CourseRules& rules) = 0;
  virtual absl::StatusOr<bool> PutSessionFacts(const SessionFacts& facts) = 0;
  // The course's rules as last recorded; nullopt when never heard of.
  virtual absl::StatusOr<std::optional<CourseRules>> FindCourseRules(
      const std::string& course) = 0;
  // The course takes no new bookings (unless what is held is newer).
  virtual absl::Status ArchiveCourse(const std::string& course,
                                     absl::Time source_time) = 0;
  // The session is cancelled; its counts are the caller's to save.
  virtual absl::Status CancelSession(const std::string& session) = 0;

  // Bookings. The booking, or nullopt when there is none.
  virtual absl::StatusOr<std::optional<StoredBooking>> FindBooking(
      const std::string& reference) = 0;
  // Whether `email_key` holds a CONFIRMED, WAITLISTED or OFFERED booking of
  // the session other than `except_reference`.
  virtual absl::StatusOr<bool> HasActiveBooking(
      const std::string& session, const std::string& email_key,
      const std::string& except_reference) = 0;
  // Everything a batch of bookings is decided on, in one round trip to the
  // database: the live records of `request_ids`, the session's inventory
  // as LockInventory gives it (locked), and which of `email_keys` hold a
  // CONFIRMED, WAITLISTED or OFFERED booking of the session, read after
  // the lock. Write transactions only.
  virtual absl::StatusOr<BatchReading> ReadForBatch(
      const std::string& session, const std::vector<std::string>& request_ids,
      const std::vector<std::string>& email_keys, absl::Time now) = 0;
  // Saves a decided batch: inserts `bookings` (as InsertBookings), then
  // adds `events`, records `records` (replacing the expired records of
  // `expired_request_ids`, from ReadForBatch) and saves the locked
  // inventory's counts (as SaveCounts), in a few round trips whatever the
  // batch's size; sets each booking's `seq` and etag. ALREADY_EXISTS on a
  // reference clash or a request id recorded meanwhile by another replica;
  // NOT_FOUND when the session is unknown; FAILED_PRECONDITION or
  // INVALID_ARGUMENT when the database refuses a value (a constraint).
  virtual absl::Status SaveBatch(
      std::vector<StoredBooking>& bookings,
      std::vector<training::events::v1::Event> events,
      const std::vector<std::pair<std::string, RequestRecord>>& records,
      const std::vector<std::string>& expired_request_ids,
      SessionInventory& inventory, absl::Time now) = 0;
  // Inserts in bulk and sets each `seq` (arrival order) and etag.
  // ALREADY_EXISTS on a reference clash; FAILED_PRECONDITION or
  // INVALID_ARGUMENT when the database refuses a value.
  virtual absl::Status InsertBookings(std::vector<StoredBooking>& bookings) = 0;
  // Replaces state, attendee, times, cancellation and attendance.
  // NOT_FOUND when the booking is not there.
  virtual absl::Status UpdateBooking(const StoredBooking& booking) = 0;
  // The first `limit` entries of the session's waiting list after
  // `after_seq` (0: from the start), oldest first: its WAITLISTED
  // single-session entries and the any-date entries of its course whose
  // delivery preference accepts it (PreferencesAccepting); only those of
  // `agency_types` when given.
  virtual absl::StatusOr<std::vector<StoredBooking>> HeadOfWaitlist(
      const SessionInventory& session, int limit, int64_t after_seq,
      const std::optional<std::set<AgencyType>>& agency_types) = 0;
  // Which of `email_keys` hold a CONFIRMED, WAITLISTED or OFFERED booking
  // of the session.
  virtual absl::StatusOr<std::set<std::string>> ActiveAddresses(
      const std::string& session,
      const std::vector<std::string>& email_keys) = 0;
  // Every CONFIRMED, WAITLISTED or OFFERED booking of the session.
  virtual absl::StatusOr<std::vector<StoredBooking>> ActiveBookings(
      const std::string& session) = 0;
  // 1-based position of a WAITLISTED single-session booking on its
  // session's waiting list (any-date entries included, as HeadOfWaitlist).
  virtual absl::StatusOr<int> WaitlistPosition(const std::string& session,
                                               int64_t seq) = 0;
  // 1-based position of a WAITLISTED any-date entry among its course's.
  virtual absl::StatusOr<int> AnyDatePosition(const std::string& course,
                                              int64_t seq) = 0;
  // Whether the address holds an active any-date entry for the course:
  // waiting, offered, or confirmed on a session that has not ended by
  // `now` (one any-date entry per address per course).
  virtual absl::StatusOr<bool> HasActiveAnyDateEntry(
      const std::string& course, const std::string& email_key,
      absl::Time now) = 0;
  // The scheduled sessions of a course starting after `starting_after`,
  // by name.
  virtual absl::StatusOr<std::vector<std::string>> SessionsOfCourse(
      const std::string& course, absl::Time starting_after) = 0;
  // Locks the course's row: taken after any inventory rows, by whoever
  // gives out places to the course's any-date entries, so that two
  // sessions never hand the same entry a place.
  virtual absl::Status LockCourse(const std::string& course) = 0;

  // Offers past their expiry, claimed for `lease` (unclaimed or whose
  // lease ran out), at most `limit`: references, the earliest due first
  // (then first come). The claim only spares
  // other replicas the work; the expiry itself is decided under the
  // session's lock.
  virtual absl::StatusOr<std::vector<std::string>> ClaimDueOffers(
      absl::Time now, absl::Duration lease, int limit) = 0;
  // Sessions with a hold release due at or before `now`.
  virtual absl::StatusOr<std::vector<std::string>> DueHoldReleases(
      absl::Time now, int limit) = 0;
  // The next hold release to act on (nullopt: none).
  virtual absl::Status SetReleaseDue(const std::string& session,
                                     std::optional<absl::Time> due) = 0;
  // Newest first, after `before_seq` (0: from the newest), at most `limit`;
  // filtered by session, organisation (booked by) and states when given.
  virtual absl::StatusOr<std::vector<StoredBooking>> ListBookings(
      const std::string& session, const std::string& organisation,
      const std::vector<int>& states, int64_t before_seq, int limit) = 0;

  // Substitutions (who and when only) and the replaced attendee's contact,
  // kept until the booking ends.
  virtual absl::Status AddSubstitution(const std::string& reference,
                                       const v1::Substitution& substitution,
                                       const std::string& contact_id,
                                       const v1::Attendee& previous) = 0;
  // Moves the booking to its next token version, so that no token issued
  // before opens it; returns the new version. NOT_FOUND when the booking
  // is not there.
  virtual absl::StatusOr<int64_t> RenewTokenVersion(
      const std::string& reference) = 0;
  virtual absl::StatusOr<std::vector<v1::Substitution>> Substitutions(
      const std::string& reference) = 0;
  virtual absl::Status ForgetPreviousContacts(const std::string& reference) = 0;
  // The replaced attendee's contact by its id; nullopt once forgotten.
  virtual absl::StatusOr<std::optional<PreviousContact>> FindPreviousContact(
      const std::string& contact_id) = 0;
  // Forgets replaced attendees' contacts of bookings whose session ended
  // before `ended_before`; returns how many.
  virtual absl::StatusOr<int64_t> ForgetContactsOfEndedSessions(
      absl::Time ended_before) = 0;

  // The session's bookings in `states`, oldest first.
  virtual absl::StatusOr<std::vector<StoredBooking>> SessionBookings(
      const std::string& session, const std::vector<int>& states) = 0;
  // The bookings among `references` that exist, by reference.
  virtual absl::StatusOr<std::map<std::string, StoredBooking>> FindBookings(
      const std::vector<std::string>& references) = 0;
  // Records attendance (and when it was taken) without touching the rest.
  // NOT_FOUND when the booking is not there.
  virtual absl::Status SetAttendance(const std::string& reference,
                                     v1::Attendance attendance,
                                     absl::Time at) = 0;

  // Reports: the bookings of sessions starting in [from, to), and those
  // sessions; only `course` when not empty, only bookings made with
  // `booked_by_org`'s agency key when not empty.
  virtual absl::StatusOr<std::vector<ReachFact>> ReachFacts(
      absl::Time from, absl::Time to, const std::string& course,
      const std::string& booked_by_org) = 0;
  // One page of participation summaries of sessions starting in [from,
  // to), grouped by organisation or, when `by_person`, by address (erased
  // people are nobody to name): most no-shows first, then most late
  // cancellations, then key in byte order; only those after `after` when
  // set; at most `limit`. Grouped, ordered and cut by the database.
  virtual absl::StatusOr<std::vector<v1::ParticipationSummary>>
  ParticipationPage(absl::Time from, absl::Time to, bool by_person,
                    const std::optional<v1::ParticipationSummary>& after,
                    int limit) = 0;
  virtual absl::StatusOr<std::vector<SessionStart>> SessionsStarting(
      absl::Time from, absl::Time to, const std::string& course) = 0;

  // Personal data. Every booking whose attendee has this address, oldest
  // first.
  virtual absl::StatusOr<std::vector<StoredBooking>> BookingsOfEmail(
      const std::string& email_key) = 0;
  // References of bookings on which this address was replaced by a
  // colleague (its contact is still held).
  virtual absl::StatusOr<std::vector<std::string>> ReplacedOn(
      const std::string& email_key) = 0;
  // Removes the attendee's personal fields from a booking, keeping its
  // organisation and agency type for the reports.
  virtual absl::Status EraseAttendee(const std::string& reference) = 0;
  // References of other people's bookings that name this address as their
  // line manager.
  virtual absl::StatusOr<std::vector<std::string>> NamedAsLineManagerOn(
      const std::string& email_key) = 0;
  // Blanks this address wherever it is named as line manager; returns the
  // references of the bookings changed.
  virtual absl::StatusOr<std::vector<std::string>> ForgetLineManager(
      const std::string& email_key) = 0;
  // Forgets the replaced-attendee contacts held for this address.
  virtual absl::Status ForgetContactsOf(const std::string& email_key) = 0;
  // Clears access needs of bookings whose session ended before
  // `ended_before`; returns how many.
  virtual absl::StatusOr<int64_t> ForgetAccessNeeds(
      absl::Time ended_before) = 0;

  // Idempotency records, kept for kRequestRetention: the live record of
  // an id (nullopt when none, or past retention), and recording one
  // (ALREADY_EXISTS when the id is recorded already).
  virtual absl::StatusOr<std::optional<RequestRecord>> FindRequest(
      const std::string& request_id, absl::Time now) = 0;
  virtual absl::Status RecordRequest(const std::string& request_id,
                                     const RequestRecord& record,
                                     absl::Time now) = 0;

  // Adds events to the outbox; published only if this commits. AddEvents
  // with none adds nothing; nothing else.
  virtual absl::Status AddEvent(training::events::v1::Event event) = 0;
  virtual absl::Status AddEvents(
      std::vector<training::events::v1::Event> events) = 0;

 protected:
  BookingTransaction() = default;
};

// How long a request id is remembered (the contract promises 24 hours).
inline constexpr absl::Duration kRequestRetention = absl::Hours(48);

// The booking service's storage. Thread-safe.
class BookingStore {
 public:
  virtual ~BookingStore() = default;
  BookingStore(const BookingStore&) = delete;
  BookingStore& operator=(const BookingStore&) = delete;

  enum class Mode { kRead, kWrite };

  // Runs `body` in one transaction, committing when it returns OK. A
  // conflict (ABORTED) reruns `body` a few times.
  virtual absl::Status Run(
      Mode mode,
      const std::function<absl::Status(BookingTransaction&)>& body) = 0;

  // After an erasure: removes what the old versions of the rows holding
  // personal data left in the database's files (Database::ScrubFreedSpace).
  virtual absl::Status ScrubFreedSpace() = 0;

 protected:
  BookingStore() = default;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_STORE_H_

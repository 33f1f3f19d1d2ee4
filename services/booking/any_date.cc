#include "services/booking/any_date.h"

#include <algorithm>
#include <optional>
#include <set>
#include <tuple>

#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/text/text.h"
#include "common/time/proto_time.h"
#include "services/booking/booking_events.h"
#include "services/booking/domain.h"
#include "services/booking/domain_proto.h"

namespace training::booking {

using internal::BookingNotFound;
using internal::Refused;

namespace {

std::vector<FieldViolation> Validate(const v1::CreateBookingRequest& r) {
  const v1::Booking& asked = r.booking();
  std::vector<FieldViolation> violations;
  if (!text::IsUuid(r.request_id())) {
    violations.push_back({"request_id", "is required, as a UUID"});
  }
  const std::string& course = asked.course();
  if (course.substr(0, 8) != "courses/" || course.size() == 8 ||
      course.find('/', 8) != std::string::npos) {
    violations.push_back({"booking.course", "must be courses/{course}"});
  }
  if (!asked.session().empty()) {
    violations.push_back(
        {"booking.session", "must be empty for an any-date entry"});
  }
  if (!v1::Booking::DeliveryPreference_IsValid(asked.delivery_preference())) {
    violations.push_back(
        {"booking.delivery_preference", "must be a known preference"});
  }
  ValidateAttendee(asked.attendee(), "booking.attendee", violations);
  return violations;
}

// Every session of the course still to start, locked in name order, then
// the course: the order every multi-session change uses.
absl::StatusOr<std::vector<SessionInventory>> LockCourse(
    BookingTransaction& tx, const std::string& course, absl::Time now) {
  ASSIGN_OR_RETURN(std::vector<std::string> names,
                   tx.SessionsOfCourse(course, now));
  std::vector<SessionInventory> sessions;
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                     tx.LockInventory(name));
    if (locked) sessions.push_back(*std::move(locked));
  }
  RETURN_IF_ERROR(tx.LockCourse(course));
  return sessions;
}

}  // namespace

absl::StatusOr<v1::Booking> AnyDateEntries::Create(
    const Caller& caller, const v1::CreateBookingRequest& r) const {
  std::vector<FieldViolation> violations = Validate(r);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  const v1::Booking& asked = r.booking();
  const std::string fingerprint = internal::Fingerprint(r);
  v1::Booking view;
  SessionInventory placed_on;
  RETURN_IF_ERROR(context_.store->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        placed_on = SessionInventory{};
        const absl::Time now = context_.clock->Now();
        ASSIGN_OR_RETURN(std::vector<SessionInventory> sessions,
                         LockCourse(tx, asked.course(), now));
        // The request record under the locks: the same request sent to
        // another replica meanwhile is then found and replayed, not taken
        // for a second entry of the same address.
        ASSIGN_OR_RETURN(
            std::optional<RequestRecord> replayed,
            internal::EarlierRun(tx, r.request_id(), fingerprint, now));
        if (replayed) {
          ASSIGN_OR_RETURN(std::optional<StoredBooking> earlier,
                           tx.FindBooking(replayed->reference));
          if (!earlier) return BookingNotFound();
          ASSIGN_OR_RETURN(view, context_.views->View(tx, *earlier, caller,
                                                      TokenInView::kOriginal));
          return absl::OkStatus();
        }
        RETURN_IF_ERROR(
            CheckCourseTakes(tx, asked.course(), asked.attendee(), now));
        ASSIGN_OR_RETURN(StoredBooking stored,
                         Place(tx, caller, asked, sessions, placed_on, now));
        ASSIGN_OR_RETURN(view, Save(tx, caller, r, fingerprint,
                                    std::move(stored), placed_on, now));
        return absl::OkStatus();
      }));
  context_.RefreshCache(placed_on);
  return view;
}

absl::Status AnyDateEntries::CheckCourseTakes(BookingTransaction& tx,
                                              const std::string& course,
                                              const v1::Attendee& attendee,
                                              absl::Time now) const {
  ASSIGN_OR_RETURN(std::optional<CourseRules> rules,
                   tx.FindCourseRules(course));
  if (!rules) return absl::NotFoundError("booking.course: no such course");
  if (!rules->published) {
    return Refused("booking.course: not open for booking",
                   "COURSE_NOT_PUBLISHED");
  }
  RETURN_IF_ERROR(CheckEligible(rules->eligible_agency_types,
                                AgencyTypeOf(attendee.agency_type())));
  // One any-date entry per address per course, until its place has been
  // and gone: a confirmed entry still counts, or a second one could take
  // a second date of the same course.
  ASSIGN_OR_RETURN(
      bool entered_already,
      tx.HasActiveAnyDateEntry(course, EmailKey(attendee.email()), now));
  if (entered_already) {
    return WithErrorInfo(
        absl::AlreadyExistsError("booking.attendee.email: already holds an "
                                 "any-date entry for this course"),
        "ALREADY_BOOKED");
  }
  return absl::OkStatus();
}

absl::StatusOr<StoredBooking> AnyDateEntries::Place(
    BookingTransaction& tx, const Caller& caller, const v1::Booking& asked,
    std::vector<SessionInventory>& sessions, SessionInventory& placed_on,
    absl::Time now) const {
  const AgencyType agency_type = AgencyTypeOf(asked.attendee().agency_type());
  const std::string email_key = EmailKey(asked.attendee().email());
  // A free place on a matching date is taken at once, earliest first.
  std::sort(sessions.begin(), sessions.end(),
            [](const SessionInventory& a, const SessionInventory& b) {
              return std::tie(a.start, a.session) <
                     std::tie(b.start, b.session);
            });
  StoredBooking stored;
  v1::Booking& b = stored.booking;
  for (SessionInventory& session : sessions) {
    if (!PreferenceAccepts(PreferenceOf(asked), session.delivery_mode) ||
        !CheckBookable(session, now).ok() ||
        PlacesFor(session, agency_type, now) <= 0) {
      continue;
    }
    ASSIGN_OR_RETURN(bool active,
                     tx.HasActiveBooking(session.session, email_key, ""));
    if (active) continue;
    PlaceBooking(session, agency_type, now);
    placed_on = session;
    b.set_session(session.session);
    b.set_state(v1::Booking::CONFIRMED);
    *b.mutable_confirm_time() = ToProto(now);
    break;
  }
  if (placed_on.session.empty()) b.set_state(v1::Booking::WAITLISTED);
  ASSIGN_OR_RETURN(std::vector<std::string> reference,
                   NewReferences(asked.course(), 1, context_.random_bytes));
  b.set_reference(std::move(reference.front()));
  b.set_name(BookingName(b.reference()));
  b.set_course(asked.course());
  b.set_scope(v1::Booking::ANY_DATE);
  b.set_delivery_preference(asked.delivery_preference());
  *b.mutable_attendee() = asked.attendee();
  if (caller.kind == Caller::Kind::kAgency) {
    b.set_booked_by_organisation(caller.organisation);
  }
  *b.mutable_create_time() = ToProto(now);
  *b.mutable_update_time() = ToProto(now);
  stored.token_kid = context_.views->current_kid();
  return stored;
}

absl::StatusOr<v1::Booking> AnyDateEntries::Save(
    BookingTransaction& tx, const Caller& caller,
    const v1::CreateBookingRequest& r, const std::string& fingerprint,
    StoredBooking stored, SessionInventory& placed_on, absl::Time now) const {
  std::vector<StoredBooking> rows = {std::move(stored)};
  absl::Status inserted = tx.InsertBookings(rows);
  if (absl::IsAlreadyExists(inserted)) {
    return TransactionConflictError("booking: reference clash");
  }
  RETURN_IF_ERROR(inserted);
  const v1::Booking& b = rows[0].booking;
  if (b.state() == v1::Booking::CONFIRMED) {
    RETURN_IF_ERROR(tx.AddEvent(ConfirmedEvent(caller, b)));
    RETURN_IF_ERROR(tx.SaveCounts(placed_on));
  } else {
    ASSIGN_OR_RETURN(int position, tx.AnyDatePosition(b.course(), rows[0].seq));
    RETURN_IF_ERROR(tx.AddEvent(WaitlistedEvent(caller, b, position)));
  }
  RETURN_IF_ERROR(
      tx.RecordRequest(r.request_id(), {fingerprint, b.reference()}, now));
  return context_.views->View(tx, rows[0], caller, TokenInView::kOriginal);
}

}  // namespace training::booking

#include "services/booking/records.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/booking/booking_events.h"

namespace training::booking {
namespace {

using ::training::events::v1::Event;

constexpr absl::Duration kLongestReport = absl::Hours(24 * (5 * 365 + 2));

void CheckSession(const std::string& session,
                  std::vector<FieldViolation>& violations) {
  if (!IsSessionName(session)) {
    violations.push_back(
        {"session", "must be courses/{course}/sessions/{session}"});
  }
}

absl::Status SessionNotFound() {
  return absl::NotFoundError("session: not found");
}

// The period of a report request, or its violations.
void CheckPeriod(const google::protobuf::Timestamp& start,
                 const google::protobuf::Timestamp& end, bool required,
                 std::vector<FieldViolation>& violations) {
  if (required && !IsSet(start)) {
    violations.push_back({"start_time", "is required"});
  }
  if (required && !IsSet(end)) {
    violations.push_back({"end_time", "is required"});
  }
  if (IsSet(start) && IsSet(end)) {
    if (FromProto(end) <= FromProto(start)) {
      violations.push_back({"end_time", "must be after start_time"});
    } else if (FromProto(end) - FromProto(start) > kLongestReport) {
      violations.push_back(
          {"end_time", "must be at most 5 years after start_time"});
    }
  }
}

// The request's marks by reference (and each one's index in the request),
// with a violation for each that is malformed, repeated or not a mark.
void ParseMarks(const v1::BatchRecordAttendanceRequest& r,
                std::map<std::string, v1::Attendance>& marks,
                std::map<std::string, int>& index_of,
                std::vector<FieldViolation>& violations) {
  if (r.marks().empty() || r.marks_size() > 1000) {
    violations.push_back({"marks", "must hold 1 to 1,000 marks"});
  }
  for (int i = 0; i < r.marks_size() && i < 1000; ++i) {
    const v1::AttendanceMark& mark = r.marks(i);
    const std::string field = absl::StrCat("marks[", i, "]");
    std::optional<std::string> reference = ParseBookingName(mark.booking());
    if (!reference) {
      violations.push_back({field + ".booking",
                            "must be bookings/{reference} with an "
                            "8-character reference"});
    } else if (!marks.emplace(*reference, mark.attendance()).second) {
      violations.push_back({field + ".booking", "is marked twice"});
    } else {
      index_of[*reference] = i;
    }
    if (mark.attendance() != v1::ATTENDED && mark.attendance() != v1::NO_SHOW) {
      violations.push_back(
          {field + ".attendance", "must be ATTENDED or NO_SHOW"});
    }
  }
}

}  // namespace

Records::Records(BookingStore* store, const Clock* clock,
                 const BookingViews* views)
    : store_(store), clock_(clock), views_(views) {}

// --- Register ---

absl::StatusOr<v1::Register> Records::ReadRegister(BookingTransaction& tx,
                                                   const std::string& session) {
  ASSIGN_OR_RETURN(std::vector<StoredBooking> confirmed,
                   tx.SessionBookings(session, {v1::Booking::CONFIRMED}));
  std::sort(confirmed.begin(), confirmed.end(),
            [](const StoredBooking& a, const StoredBooking& b) {
              return std::make_pair(a.booking.attendee().display_name(),
                                    a.seq) <
                     std::make_pair(b.booking.attendee().display_name(), b.seq);
            });
  v1::Register reg;
  reg.set_session(session);
  for (const StoredBooking& stored : confirmed) {
    const v1::Booking& b = stored.booking;
    v1::RegisterEntry& entry = *reg.add_entries();
    entry.set_booking(b.name());
    entry.set_display_name(b.attendee().display_name());
    entry.set_organisation(b.attendee().organisation());
    entry.set_agency_type(b.attendee().agency_type());
    entry.set_job_role(b.attendee().job_role());
    entry.set_access_needs(b.attendee().access_needs());
    entry.set_attendance(b.attendance());
  }
  return reg;
}

absl::StatusOr<v1::Register> Records::GetRegister(
    const Caller&, const v1::GetRegisterRequest& r) {
  std::vector<FieldViolation> violations;
  CheckSession(r.session(), violations);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  v1::Register reg;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<SessionInventory> inventory,
                         tx.ReadInventory(r.session()));
        if (!inventory) return SessionNotFound();
        ASSIGN_OR_RETURN(reg, ReadRegister(tx, r.session()));
        return absl::OkStatus();
      }));
  return reg;
}

absl::StatusOr<v1::BatchRecordAttendanceResponse>
Records::BatchRecordAttendance(const Caller& caller,
                               const v1::BatchRecordAttendanceRequest& r) {
  std::vector<FieldViolation> violations;
  CheckSession(r.session(), violations);
  std::map<std::string, v1::Attendance> marks;  // by reference
  std::map<std::string, int> index_of;
  ParseMarks(r, marks, index_of, violations);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));

  v1::BatchRecordAttendanceResponse response;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        // Under the session's lock, so that no booking is cancelled or
        // substituted between the check and the mark.
        ASSIGN_OR_RETURN(std::optional<SessionInventory> inventory,
                         tx.LockInventory(r.session()));
        if (!inventory) return SessionNotFound();
        const absl::Time now = clock_->Now();
        if (now < inventory->start) {
          return WithErrorInfo(
              absl::FailedPreconditionError(
                  "session: attendance can be recorded once it has started"),
              "SESSION_NOT_STARTED");
        }
        std::vector<std::string> references;
        for (const auto& [reference, attendance] : marks)
          references.push_back(reference);
        ASSIGN_OR_RETURN(auto found, tx.FindBookings(references));
        std::vector<FieldViolation> not_on_register;
        for (const auto& [reference, attendance] : marks) {
          auto it = found.find(reference);
          if (it == found.end() ||
              it->second.booking.session() != r.session() ||
              it->second.booking.state() != v1::Booking::CONFIRMED) {
            not_on_register.push_back(
                {absl::StrCat("marks[", index_of[reference], "].booking"),
                 "is not a confirmed booking of this session"});
          }
        }
        if (!not_on_register.empty()) {
          return InvalidArgumentError(std::move(not_on_register));
        }
        std::vector<std::string> attended, no_shows;
        for (const auto& [reference, attendance] : marks) {
          if (found[reference].booking.attendance() == attendance) continue;
          RETURN_IF_ERROR(tx.SetAttendance(reference, attendance, now));
          (attendance == v1::ATTENDED ? attended : no_shows)
              .push_back(BookingName(reference));
        }
        if (!attended.empty() || !no_shows.empty()) {
          Event event =
              AttendanceEvent(caller, r.session(), attended, no_shows);
          for (const auto& [reference, attendance] : marks) {
            const v1::Booking& marked = found[reference].booking;
            if (marked.attendance() != attendance) AddBookedBy(event, marked);
          }
          RETURN_IF_ERROR(tx.AddEvent(std::move(event)));
        }
        ASSIGN_OR_RETURN(*response.mutable_register_(),
                         ReadRegister(tx, r.session()));
        return absl::OkStatus();
      }));
  return response;
}

// --- Reports ---

absl::StatusOr<v1::ListParticipationSummariesResponse>
Records::ListParticipationSummaries(
    const Caller&, const v1::ListParticipationSummariesRequest& r) {
  std::vector<FieldViolation> violations;
  CheckPeriod(r.start_time(), r.end_time(), false, violations);
  if (!v1::ListParticipationSummariesRequest::GroupBy_IsValid(r.group_by())) {
    violations.push_back({"group_by", "must be ORGANISATION or PERSON"});
  }
  if (r.page_size() < 0) {
    violations.push_back({"page_size", "must not be negative"});
  }
  const std::string filters = requests::FiltersFingerprint(r);
  std::optional<v1::ParticipationSummary> after;
  if (!r.page_token().empty()) {
    absl::StatusOr<requests::PageKey> key =
        requests::DecodePageToken(r.page_token(), filters);
    std::vector<std::string> counts;
    if (key.ok()) counts = absl::StrSplit(key->sort_key, ':');
    int no_shows = 0, late = 0;
    if (!key.ok() || counts.size() != 2 ||
        !absl::SimpleAtoi(counts[0], &no_shows) ||
        !absl::SimpleAtoi(counts[1], &late)) {
      violations.push_back(
          {"page_token", "is not a token this list returned for these fields"});
    } else {
      after.emplace();
      after->set_key(key->name);
      after->set_no_shows(no_shows);
      after->set_late_cancellations(late);
    }
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  const int limit = r.page_size() == 0 ? 100 : std::min(r.page_size(), 500);
  const absl::Time from =
      IsSet(r.start_time()) ? FromProto(r.start_time()) : absl::UnixEpoch();
  const absl::Time to = IsSet(r.end_time())
                            ? FromProto(r.end_time())
                            : absl::FromUnixSeconds(int64_t{1} << 40);
  // One more than a page: whether there is a next one.
  std::vector<v1::ParticipationSummary> page;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            page,
            tx.ParticipationPage(
                from, to,
                r.group_by() == v1::ListParticipationSummariesRequest::PERSON,
                after, limit + 1));
        return absl::OkStatus();
      }));
  v1::ListParticipationSummariesResponse response;
  const bool more = static_cast<int>(page.size()) > limit;
  if (more) page.resize(limit);
  for (auto& summary : page) *response.add_summaries() = std::move(summary);
  if (more) {
    const v1::ParticipationSummary& last = response.summaries(limit - 1);
    response.set_next_page_token(requests::EncodePageToken(
        {absl::StrCat(last.no_shows(), ":", last.late_cancellations()),
         last.key()},
        filters));
  }
  return response;
}

absl::StatusOr<v1::ReachReport> Records::GetReachReport(
    const Caller& caller, const v1::GetReachReportRequest& r) {
  std::vector<FieldViolation> violations;
  CheckPeriod(r.start_time(), r.end_time(), true, violations);
  if (!r.course().empty() &&
      (r.course().substr(0, 8) != "courses/" || r.course().size() == 8 ||
       r.course().find('/', 8) != std::string::npos)) {
    violations.push_back({"course", "must be courses/{course}"});
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  // An agency key sees what was booked with its own key, never another's.
  const std::string booked_by =
      caller.kind == Caller::Kind::kAgency ? caller.organisation : "";
  if (caller.kind == Caller::Kind::kAgency && booked_by.empty()) {
    return absl::PermissionDeniedError("agency key: names no organisation");
  }
  const absl::Time from = FromProto(r.start_time());
  const absl::Time to = FromProto(r.end_time());
  std::vector<ReachFact> facts;
  std::vector<SessionStart> sessions;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(facts, tx.ReachFacts(from, to, r.course(), booked_by));
        ASSIGN_OR_RETURN(sessions, tx.SessionsStarting(from, to, r.course()));
        return absl::OkStatus();
      }));
  return BuildReachReport(facts, sessions, from, to, clock_->Now());
}

absl::StatusOr<google::api::HttpBody> Records::ExportReachReport(
    const Caller& caller, const v1::GetReachReportRequest& r) {
  ASSIGN_OR_RETURN(v1::ReachReport report, GetReachReport(caller, r));
  google::api::HttpBody body;
  body.set_content_type("text/csv; charset=utf-8");
  body.set_data(ReachReportCsv(report));
  return body;
}

// --- Personal data ---

absl::StatusOr<v1::PersonalDataExport> Records::ExportPersonalData(
    const Caller& caller, const v1::ExportPersonalDataRequest& r) {
  if (!IsValidEmail(r.email())) {
    return InvalidArgumentError({{"email", "must be an e-mail address"}});
  }
  v1::PersonalDataExport out;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        out.Clear();
        out.set_email(r.email());
        ASSIGN_OR_RETURN(std::vector<StoredBooking> found,
                         tx.BookingsOfEmail(EmailKey(r.email())));
        for (const StoredBooking& stored : found) {
          ASSIGN_OR_RETURN(v1::Booking view, views_->View(tx, stored, caller,
                                                          TokenInView::kNone));
          (*out.mutable_history())[view.name()] =
              HistoryOf(view, stored.attendance_time);
          *out.add_bookings() = std::move(view);
        }
        ASSIGN_OR_RETURN(std::vector<std::string> replaced,
                         tx.ReplacedOn(EmailKey(r.email())));
        for (const std::string& reference : replaced)
          out.add_replaced_on_bookings(BookingName(reference));
        ASSIGN_OR_RETURN(std::vector<std::string> named,
                         tx.NamedAsLineManagerOn(EmailKey(r.email())));
        for (const std::string& reference : named)
          out.add_named_as_line_manager_on(BookingName(reference));
        return absl::OkStatus();
      }));
  *out.mutable_export_time() = ToProto(clock_->Now());
  return out;
}

}  // namespace training::booking

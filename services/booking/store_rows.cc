#include "services/booking/store_rows.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/sql/dialect.h"

namespace training::booking::sql_store {

Value OptionalTime(const google::protobuf::Timestamp& t) {
  return IsSet(t) ? Value(absl::ToUnixMicros(FromProto(t))) : sql::Null();
}

std::string JoinTypes(const std::set<AgencyType>& types,
                      absl::string_view separator) {
  return absl::StrJoin(types, separator, [](std::string* out, AgencyType t) {
    absl::StrAppend(out, Number(t));
  });
}

std::set<AgencyType> SplitTypes(absl::string_view joined, char separator) {
  std::set<AgencyType> types;
  for (absl::string_view part :
       absl::StrSplit(joined, separator, absl::SkipEmpty())) {
    int type;
    if (absl::SimpleAtoi(part, &type))
      types.insert(static_cast<AgencyType>(type));
  }
  return types;
}

std::string EncodeEligible(const std::set<AgencyType>& types) {
  if (types.empty()) return "";
  return absl::StrCat("|", JoinTypes(types, "|"), "|");
}

std::string EncodeHolds(const std::vector<HeldPlaces>& holds) {
  std::vector<std::string> parts;
  for (const HeldPlaces& hold : holds) {
    parts.push_back(absl::StrCat(JoinTypes(hold.agency_types, "."), ":",
                                 hold.places, ":",
                                 absl::ToUnixMicros(hold.release)));
  }
  return absl::StrJoin(parts, ";");
}

std::vector<HeldPlaces> DecodeHolds(absl::string_view text) {
  std::vector<HeldPlaces> holds;
  for (absl::string_view part : absl::StrSplit(text, ';', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(part, ':');
    if (fields.size() != 3) continue;
    HeldPlaces hold;
    hold.agency_types = SplitTypes(fields[0], '.');
    int64_t release_us = 0;
    if (!absl::SimpleAtoi(fields[1], &hold.places) ||
        !absl::SimpleAtoi(fields[2], &release_us)) {
      continue;
    }
    hold.release = absl::FromUnixMicros(release_us);
    holds.push_back(std::move(hold));
  }
  return holds;
}

const std::string& ActiveStates() {
  static const std::string* const list = [] {
    std::vector<int64_t> states;
    for (BookingState state :
         {BookingState::kUnspecified, BookingState::kConfirmed,
          BookingState::kWaitlisted, BookingState::kOffered,
          BookingState::kCancelled, BookingState::kLeftWaitlist}) {
      if (IsActive(state)) states.push_back(Number(state));
    }
    return new std::string(absl::StrCat("(", absl::StrJoin(states, ", "), ")"));
  }();
  return *list;
}

const std::string& AcceptingPreferences() {
  static const std::string* const sql = [] {
    std::string cases = "CASE i.delivery_mode";
    std::string any;
    for (DeliveryMode mode : {DeliveryMode::kUnspecified,
                              DeliveryMode::kInPerson, DeliveryMode::kOnline}) {
      std::vector<int64_t> accepting;
      for (DeliveryPreference p : PreferencesAccepting(mode)) {
        accepting.push_back(Number(p));
      }
      absl::StrAppend(&cases, " WHEN ", Number(mode),
                      " THEN b.delivery_preference IN (",
                      absl::StrJoin(accepting, ", "), ")");
    }
    // A mode this code does not know takes what kUnspecified takes.
    std::vector<int64_t> otherwise;
    for (DeliveryPreference p :
         PreferencesAccepting(DeliveryMode::kUnspecified)) {
      otherwise.push_back(Number(p));
    }
    return new std::string(
        absl::StrCat("(", cases, " ELSE b.delivery_preference IN (",
                     absl::StrJoin(otherwise, ", "), ") END)"));
  }();
  return *sql;
}

absl::StatusOr<SessionInventory> DecodeInventory(const ResultSet& rows) {
  SessionInventory s;
  ASSIGN_OR_RETURN(s.session, rows.GetString(0, "session"));
  ASSIGN_OR_RETURN(s.course, rows.GetString(0, "course"));
  ASSIGN_OR_RETURN(int64_t scheduled, rows.GetInt64(0, "scheduled"));
  ASSIGN_OR_RETURN(int64_t capacity, rows.GetInt64(0, "capacity"));
  ASSIGN_OR_RETURN(int64_t confirmed, rows.GetInt64(0, "confirmed"));
  ASSIGN_OR_RETURN(int64_t waiting, rows.GetInt64(0, "waiting"));
  ASSIGN_OR_RETURN(int64_t offers, rows.GetInt64(0, "offers"));
  ASSIGN_OR_RETURN(int64_t delivery_mode, rows.GetInt64(0, "delivery_mode"));
  ASSIGN_OR_RETURN(std::string holds, rows.GetString(0, "holds"));
  ASSIGN_OR_RETURN(int64_t offer_mode, rows.GetInt64(0, "offer_mode"));
  ASSIGN_OR_RETURN(int64_t hold_us, rows.GetInt64(0, "hold_us"));
  ASSIGN_OR_RETURN(int64_t min_hold_us, rows.GetInt64(0, "min_hold_us"));
  s.offers = static_cast<int>(offers);
  s.delivery_mode = static_cast<DeliveryMode>(delivery_mode);
  s.holds = DecodeHolds(holds);
  s.offer_policy.offer = offer_mode != 0;
  s.offer_policy.hold = absl::Microseconds(hold_us);
  s.offer_policy.minimum_hold = absl::Microseconds(min_hold_us);
  ASSIGN_OR_RETURN(int64_t open_us, rows.GetInt64(0, "open_us"));
  ASSIGN_OR_RETURN(int64_t close_us, rows.GetInt64(0, "close_us"));
  ASSIGN_OR_RETURN(int64_t start_us, rows.GetInt64(0, "start_us"));
  ASSIGN_OR_RETURN(int64_t end_us, rows.GetInt64(0, "end_us"));
  ASSIGN_OR_RETURN(s.version, rows.GetInt64(0, "version"));
  ASSIGN_OR_RETURN(int64_t published, rows.GetInt64(0, "published"));
  ASSIGN_OR_RETURN(std::string eligible, rows.GetString(0, "eligible"));
  ASSIGN_OR_RETURN(int64_t late_us, rows.GetInt64(0, "late_window_us"));
  s.scheduled = scheduled != 0;
  s.capacity = static_cast<int>(capacity);
  s.confirmed = static_cast<int>(confirmed);
  s.waiting = static_cast<int>(waiting);
  s.booking_open = absl::FromUnixMicros(open_us);
  s.booking_close = absl::FromUnixMicros(close_us);
  s.start = absl::FromUnixMicros(start_us);
  s.end = absl::FromUnixMicros(end_us);
  s.course_published = published != 0;
  s.eligible_agency_types = SplitTypes(eligible, '|');
  s.late_cancellation_window = absl::Microseconds(late_us);
  return s;
}

std::vector<sql::Statement> LockStatements(const std::string& session) {
  std::vector<sql::Statement> statements;
  statements.push_back(
      {"SELECT version FROM inventory WHERE session = $1", {session}, true});
  statements.push_back({kInventorySelect, {session}});
  statements.push_back(
      {absl::StrCat("SELECT COUNT(*) AS n FROM bookings b JOIN inventory i ON "
                    "i.session = $1 WHERE b.scope = ",
                    kAnyDate, " AND b.state = ", kWaitlisted,
                    " AND b.course = i.course AND ", AcceptingPreferences()),
       {session}});
  return statements;
}

sql::Statement FindRequestsStatement(
    sql::Engine engine, const std::vector<std::string>& request_ids) {
  return sql::LookUpMany(
      engine,
      {.columns = "request_id, fingerprint, reference, create_us",
       .table = "requests",
       .key_column = "request_id"},
      request_ids);
}

absl::StatusOr<std::map<std::string, RequestRecord>> DecodeRequests(
    const ResultSet& rows, absl::Time now, std::vector<std::string>* expired) {
  std::map<std::string, RequestRecord> found;
  const int64_t cutoff = absl::ToUnixMicros(now - kRequestRetention);
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSIGN_OR_RETURN(int64_t created, rows.GetInt64(i, "create_us"));
    ASSIGN_OR_RETURN(std::string id, rows.GetString(i, "request_id"));
    if (created <= cutoff) {
      if (expired != nullptr) expired->push_back(std::move(id));
      continue;
    }
    RequestRecord& record = found[id];
    ASSIGN_OR_RETURN(record.fingerprint, rows.GetString(i, "fingerprint"));
    ASSIGN_OR_RETURN(record.reference, rows.GetString(i, "reference"));
  }
  return found;
}

std::vector<sql::Statement> ForgetExpiredRequestsStatements(
    const std::vector<std::string>& expired_ids, absl::Time now) {
  std::vector<sql::Statement> statements;
  const int64_t cutoff = absl::ToUnixMicros(now - kRequestRetention);
  if (!expired_ids.empty()) {
    sql::Statement expired;
    std::string in;
    for (size_t i = 0; i < expired_ids.size(); ++i) {
      absl::StrAppend(&in, i == 0 ? "" : ", ",
                      sql::AddParam(expired.params, expired_ids[i]));
    }
    expired.sql = absl::StrCat(
        "DELETE FROM requests WHERE request_id IN (", in,
        ") AND create_us <= ", sql::AddParam(expired.params, cutoff));
    statements.push_back(std::move(expired));
  }
  statements.push_back(
      {"DELETE FROM requests WHERE request_id IN (SELECT request_id FROM "
       "requests WHERE create_us <= $1 ORDER BY create_us LIMIT 4)",
       {cutoff}});
  return statements;
}

std::vector<Params> RequestRows(
    const std::vector<std::pair<std::string, RequestRecord>>& records,
    absl::Time now) {
  std::vector<Params> rows;
  rows.reserve(records.size());
  for (const auto& [id, record] : records) {
    rows.push_back(
        {id, record.fingerprint, record.reference, absl::ToUnixMicros(now)});
  }
  return rows;
}

sql::Statement ActiveEmailKeysStatement(
    sql::Engine engine, const std::string& session,
    const std::vector<std::string>& email_keys) {
  return sql::LookUpMany(
      engine,
      {.columns = "email_key",
       .table = "bookings",
       .key_column = "email_key",
       .condition = absl::StrCat("session = $1 AND state IN ", ActiveStates()),
       .params = {session}},
      email_keys);
}

sql::Statement SaveCountsStatement(const SessionInventory& inventory) {
  return {
      "UPDATE inventory SET confirmed = $2, waiting = $3, offers = $4, "
      "version = version + 1 WHERE session = $1 RETURNING version",
      {inventory.session, int64_t{inventory.confirmed},
       int64_t{inventory.waiting}, int64_t{inventory.offers}}};
}

absl::StatusOr<StoredBooking> DecodeBooking(const ResultSet& rows, size_t i) {
  StoredBooking stored;
  v1::Booking& b = stored.booking;
  ASSIGN_OR_RETURN(stored.seq, rows.GetInt64(i, "seq"));
  ASSIGN_OR_RETURN(std::string reference, rows.GetString(i, "reference"));
  b.set_reference(reference);
  b.set_name(BookingName(reference));
  ASSIGN_OR_RETURN(std::optional<std::string> session,
                   rows.GetOptionalString(i, "session"));
  b.set_session(session.value_or(""));
  ASSIGN_OR_RETURN(std::string course, rows.GetString(i, "course"));
  b.set_course(course);
  ASSIGN_OR_RETURN(int64_t scope, rows.GetInt64(i, "scope"));
  b.set_scope(static_cast<v1::Booking::Scope>(scope));
  ASSIGN_OR_RETURN(int64_t preference, rows.GetInt64(i, "delivery_preference"));
  b.set_delivery_preference(
      static_cast<v1::Booking::DeliveryPreference>(preference));
  ASSIGN_OR_RETURN(int64_t state, rows.GetInt64(i, "state"));
  b.set_state(static_cast<v1::Booking::State>(state));
  v1::Attendee& a = *b.mutable_attendee();
  ASSIGN_OR_RETURN(*a.mutable_display_name(),
                   rows.GetString(i, "display_name"));
  ASSIGN_OR_RETURN(*a.mutable_email(), rows.GetString(i, "email"));
  ASSIGN_OR_RETURN(*a.mutable_phone(), rows.GetString(i, "phone"));
  ASSIGN_OR_RETURN(*a.mutable_organisation(),
                   rows.GetString(i, "organisation"));
  ASSIGN_OR_RETURN(int64_t agency_type, rows.GetInt64(i, "agency_type"));
  a.set_agency_type(static_cast<training::type::v1::AgencyType>(agency_type));
  ASSIGN_OR_RETURN(*a.mutable_job_role(), rows.GetString(i, "job_role"));
  ASSIGN_OR_RETURN(*a.mutable_line_manager_email(),
                   rows.GetString(i, "line_manager_email"));
  ASSIGN_OR_RETURN(*a.mutable_access_needs(),
                   rows.GetString(i, "access_needs"));
  a.set_consent_given(true);  // nothing is stored without it
  ASSIGN_OR_RETURN(*b.mutable_booked_by_organisation(),
                   rows.GetString(i, "booked_by_org"));
  ASSIGN_OR_RETURN(stored.token_kid, rows.GetString(i, "token_kid"));
  ASSIGN_OR_RETURN(stored.token_version, rows.GetInt64(i, "token_version"));
  RETURN_IF_ERROR(SetOptionalTime(rows, i, "create_us",
                                  [&] { return b.mutable_create_time(); }));
  RETURN_IF_ERROR(SetOptionalTime(rows, i, "confirm_us",
                                  [&] { return b.mutable_confirm_time(); }));
  RETURN_IF_ERROR(SetOptionalTime(rows, i, "update_us",
                                  [&] { return b.mutable_update_time(); }));
  ASSIGN_OR_RETURN(std::optional<int64_t> cancel_us,
                   rows.GetOptionalInt64(i, "cancel_us"));
  if (cancel_us) {
    v1::Cancellation& c = *b.mutable_cancellation();
    *c.mutable_cancel_time() = ToProto(absl::FromUnixMicros(*cancel_us));
    ASSIGN_OR_RETURN(int64_t cause, rows.GetInt64(i, "cancel_cause"));
    c.set_cause(static_cast<v1::Cancellation::Cause>(cause));
    ASSIGN_OR_RETURN(*c.mutable_reason(), rows.GetString(i, "cancel_reason"));
    ASSIGN_OR_RETURN(int64_t late, rows.GetInt64(i, "cancel_late"));
    c.set_late(late != 0);
  }
  ASSIGN_OR_RETURN(int64_t attendance, rows.GetInt64(i, "attendance"));
  b.set_attendance(static_cast<v1::Attendance>(attendance));
  ASSIGN_OR_RETURN(std::optional<int64_t> offer_us,
                   rows.GetOptionalInt64(i, "offer_us"));
  ASSIGN_OR_RETURN(std::optional<int64_t> expire_us,
                   rows.GetOptionalInt64(i, "expire_us"));
  if (offer_us && expire_us) {
    v1::Offer& offer = *b.mutable_offer();
    offer.set_session(b.session());
    *offer.mutable_offer_time() = ToProto(absl::FromUnixMicros(*offer_us));
    *offer.mutable_expire_time() = ToProto(absl::FromUnixMicros(*expire_us));
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> attendance_us,
                   rows.GetOptionalInt64(i, "attendance_us"));
  if (attendance_us) {
    stored.attendance_time = absl::FromUnixMicros(*attendance_us);
  }
  ASSIGN_OR_RETURN(int64_t version, rows.GetInt64(i, "version"));
  b.set_etag(absl::StrCat(version));
  return stored;
}

Params MutableColumns(const StoredBooking& stored) {
  const v1::Booking& b = stored.booking;
  const v1::Attendee& a = b.attendee();
  const bool cancelled = b.has_cancellation();
  return {
      b.reference(),
      b.session().empty() ? sql::Null() : Value(b.session()),
      int64_t{b.state()},
      a.display_name(),
      a.email(),
      EmailKey(a.email()),
      a.phone(),
      a.organisation(),
      int64_t{a.agency_type()},
      a.job_role(),
      a.line_manager_email(),
      a.access_needs(),
      OptionalTime(b.confirm_time()),
      OptionalTime(b.update_time()),
      cancelled ? OptionalTime(b.cancellation().cancel_time()) : sql::Null(),
      int64_t{b.cancellation().cause()},
      b.cancellation().reason(),
      int64_t{b.cancellation().late() ? 1 : 0},
      int64_t{b.attendance()},
      b.has_offer() ? OptionalTime(b.offer().offer_time()) : sql::Null(),
      b.has_offer() ? OptionalTime(b.offer().expire_time()) : sql::Null()};
}

std::string StatesIn(sql::Params& params, const std::vector<int>& states) {
  if (states.empty()) return "";
  std::vector<std::string> placeholders;
  for (int state : states) {
    placeholders.push_back(sql::AddParam(params, int64_t{state}));
  }
  return absl::StrCat(" AND state IN (", absl::StrJoin(placeholders, ", "),
                      ")");
}

}  // namespace training::booking::sql_store

#include "services/booking/store_sql.h"

#include <algorithm>
#include <iterator>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/events/outbox.h"
#include "common/sql/dialect.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/booking/domain.h"

namespace training::booking {
namespace {

using sql::Params;
using sql::ResultSet;
using sql::Value;

// What an erased booking's address key becomes: no address starts so.
constexpr char kErasedPrefix[] = "erased:";

Value OptionalTime(const google::protobuf::Timestamp& t) {
  return IsSet(t) ? Value(absl::ToUnixMicros(FromProto(t))) : sql::Null();
}

// Sets the timestamp `mutable_field` gives only when the column holds one:
// asking a message for a mutable field creates it, and a NULL column must
// leave the field unset (a waiting booking has no confirm_time).
template <typename MutableField>
absl::Status SetOptionalTime(const ResultSet& rows, size_t row,
                             absl::string_view column,
                             MutableField mutable_field) {
  ASSIGN_OR_RETURN(std::optional<int64_t> micros,
                   rows.GetOptionalInt64(row, column));
  if (micros) *mutable_field() = ToProto(absl::FromUnixMicros(*micros));
  return absl::OkStatus();
}

// Agency types as their numbers joined by `separator`.
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

// `|1|3|`: a course's eligible agency types as one column.
std::string EncodeEligible(const std::set<AgencyType>& types) {
  if (types.empty()) return "";
  return absl::StrCat("|", JoinTypes(types, "|"), "|");
}

// Holds as one column: `3.5:4:<release_us>;…` (agency types, places,
// release time), read back only by this file.
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

// The domain's enum values as stored (domain_types.h), for SQL text.
constexpr int64_t kConfirmed = Number(BookingState::kConfirmed);
constexpr int64_t kWaitlisted = Number(BookingState::kWaitlisted);
constexpr int64_t kOffered = Number(BookingState::kOffered);
constexpr int64_t kAnyDate = Number(BookingScope::kAnyDate);

// `(1, 2, 3)`: the states that hold or wait for a place (IsActive).
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

// The any-date delivery preferences that accept a session delivered in
// the mode of inventory row `i`, as SQL: PreferencesAccepting written out
// for each mode, so that the rule has one home.
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
    return new std::string(absl::StrCat("(", cases, " ELSE 0 = 1 END)"));
  }();
  return *sql;
}

constexpr char kInventorySelect[] =
    "SELECT i.session, i.course, i.scheduled, i.capacity, i.confirmed, "
    "i.offers, i.waiting, i.delivery_mode, i.holds, i.open_us, i.close_us, "
    "i.start_us, i.end_us, i.version, c.published, c.eligible, "
    "c.late_window_us, c.offer_mode, c.hold_us, c.min_hold_us FROM inventory i "
    "JOIN courses c ON c.course = i.course WHERE i.session = $1";

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

// Locks the session's inventory row alone (FOR UPDATE on the join would
// also lock the course, which every session of the course shares), then
// reads it with its course, then counts the course's any-date entries
// waiting for such a session (only decisions need that: the position a
// new waiting entry gets). Read by LockedInventory.
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

// The live and expired records of `request_ids`, each probed in the
// primary key (sql::LookUpMany: `request_id = ANY($1::text[])` or `IN ($1,
// …)` were planned as sequential scans on PostgreSQL while the table was
// young, 3–8 ms a batch, up to 177 ms when PostgreSQL kept that plan as
// the table grew).
sql::Statement FindRequestsStatement(
    sql::Engine engine, const std::vector<std::string>& request_ids) {
  return sql::LookUpMany(
      engine,
      {.columns = "request_id, fingerprint, reference, create_us",
       .table = "requests",
       .key_column = "request_id"},
      request_ids);
}

// The records found, by id; expired ones are as if never made (their ids
// go to `expired`, when given).
absl::StatusOr<std::map<std::string, RequestRecord>> DecodeRequests(
    const ResultSet& rows, absl::Time now,
    std::vector<std::string>* expired = nullptr) {
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

// Deletes the expired records of `expired_ids` (ids about to be recorded
// again), and a few of the oldest expired ones with them, so that the
// table holds about one retention period of requests without a separate
// sweeper.
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

constexpr char kRequestColumns[] =
    "request_id, fingerprint, reference, create_us";

// Rows for kRequestColumns (after ForgetExpiredRequestsStatements ran).
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

// Which of the addresses asked hold a place in the session, each probed in
// the (session, address) index (sql::LookUpMany; as a join with an array,
// the plan PostgreSQL kept from the table's first rows looped over the
// session's bookings scanning the array for each: 5 ms a batch).
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

// Returns the new version: no row means no such session.
sql::Statement SaveCountsStatement(const SessionInventory& inventory) {
  return {
      "UPDATE inventory SET confirmed = $2, waiting = $3, offers = $4, "
      "version = version + 1 WHERE session = $1 RETURNING version",
      {inventory.session, int64_t{inventory.confirmed},
       int64_t{inventory.waiting}, int64_t{inventory.offers}}};
}

constexpr char kBookingColumns[] =
    "seq, reference, session, course, scope, delivery_preference, state, "
    "display_name, email, phone, organisation, agency_type, job_role, "
    "line_manager_email, access_needs, booked_by_org, token_kid, "
    "token_version, create_us, confirm_us, update_us, cancel_us, "
    "cancel_cause, cancel_reason, cancel_late, attendance, attendance_us, "
    "offer_us, expire_us, version";

}  // namespace

sql::Statement HeadOfWaitlistStatement(sql::Engine engine,
                                       const SessionInventory& session,
                                       int limit, int64_t after_seq) {
  // One branch per index, each in seq order: with the two conditions
  // OR-ed, PostgreSQL walked the primary key in seq order and, when nobody
  // was waiting, filtered the whole table (65 ms at 600,000 bookings, on
  // every session scheduled or place freed). Each branch reads its waiting
  // rows behind a fence (OFFSET 0; SQLite needs a LIMIT with it) and sorts
  // only those: the text is the same for every call, so PostgreSQL keeps
  // one generic plan, and without the fence that plan walked the primary
  // key again to avoid the sort (28 ms at 98,000 bookings for a session
  // with nobody waiting). The page's start (`seq > $6`) stays outside the
  // fence too: inside, it was an index condition on the primary key.
  const absl::string_view fence = sql::Fence(engine);
  // Always two preferences (the first again when only one accepts), so
  // that the text, and PostgreSQL's plan, is the same for every session.
  std::vector<DeliveryPreference> accepting =
      PreferencesAccepting(session.delivery_mode);
  accepting.resize(2, accepting.front());
  return {absl::StrCat(
              "SELECT * FROM (SELECT * FROM (SELECT ", kBookingColumns,
              " FROM bookings WHERE session = $1 AND state = ", kWaitlisted,
              " AND scope <> ", kAnyDate, fence,
              ") AS waiting WHERE seq > $6 ORDER BY seq LIMIT $5) AS "
              "by_session UNION ALL SELECT * FROM (SELECT * FROM (SELECT ",
              kBookingColumns, " FROM bookings WHERE scope = ", kAnyDate,
              " AND state = ", kWaitlisted,
              " AND course = $2 AND delivery_preference IN ($3, $4)", fence,
              ") AS waiting WHERE seq > $6 ORDER BY seq LIMIT $5) AS any_date "
              "ORDER BY seq LIMIT $5"),
          {session.session, session.course, Number(accepting[0]),
           Number(accepting[1]), int64_t{limit}, after_seq}};
}

namespace {

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

// The columns UpdateBooking writes, $2.. in kBookingColumns order after
// reference.
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

// The columns InsertBookings writes, in MutableColumns' order and then
// the ones set only once. The version column is 1.
constexpr char kInsertColumns[] =
    "reference, session, state, display_name, email, email_key, phone, "
    "organisation, agency_type, job_role, line_manager_email, access_needs, "
    "confirm_us, update_us, cancel_us, cancel_cause, cancel_reason, "
    "cancel_late, attendance, offer_us, expire_us, course, scope, "
    "delivery_preference, booked_by_org, token_kid, create_us, version";
class SqlBookingTransaction final : public BookingTransaction {
 public:
  explicit SqlBookingTransaction(sql::Transaction& tx) : tx_(tx) {}

  // BookingTransaction:
  absl::StatusOr<std::optional<SessionInventory>> LockInventory(
      const std::string& session) override {
    ASSIGN_OR_RETURN(std::vector<ResultSet> results,
                     tx_.QueryAll(LockStatements(session)));
    return LockedInventory(session, results);
  }

  absl::StatusOr<std::optional<SessionInventory>> ReadInventory(
      const std::string& session) override {
    ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(kInventorySelect, {session}));
    return InventoryFrom(session, rows);
  }

  absl::StatusOr<BatchReading> ReadForBatch(
      const std::string& session, const std::vector<std::string>& request_ids,
      const std::vector<std::string>& email_keys, absl::Time now) override {
    // The lock first, then everything else: under READ COMMITTED each
    // statement after it sees what another replica's batch for the session
    // committed while this one waited. Request records read before the
    // lock missed a retry of the same request that the other replica had
    // just booked, and the retry was refused as a duplicate address
    // instead of getting its booking.
    std::vector<sql::Statement> statements = LockStatements(session);
    const size_t lock_count = statements.size();
    if (!request_ids.empty()) {
      statements.push_back(FindRequestsStatement(tx_.engine(), request_ids));
    }
    if (!email_keys.empty()) {
      statements.push_back(
          ActiveEmailKeysStatement(tx_.engine(), session, email_keys));
    }
    ASSIGN_OR_RETURN(std::vector<ResultSet> results, tx_.QueryAll(statements));
    BatchReading reading;
    ASSIGN_OR_RETURN(reading.inventory,
                     LockedInventory(session, {results.begin(),
                                               results.begin() + lock_count}));
    if (!request_ids.empty()) {
      ASSIGN_OR_RETURN(reading.records,
                       DecodeRequests(results[lock_count], now,
                                      &reading.expired_request_ids));
    }
    if (!email_keys.empty()) {
      for (size_t i = 0; i < results.back().size(); ++i) {
        ASSIGN_OR_RETURN(std::string key,
                         results.back().GetString(i, "email_key"));
        reading.active_email_keys.insert(std::move(key));
      }
    }
    return reading;
  }

  absl::Status SaveBatch(
      std::vector<StoredBooking>& bookings,
      std::vector<training::events::v1::Event> events,
      const std::vector<std::pair<std::string, RequestRecord>>& records,
      const std::vector<std::string>& expired_request_ids,
      SessionInventory& inventory, absl::Time now) override {
    RETURN_IF_ERROR(InsertBookings(bookings));
    std::vector<sql::Statement> statements;
    if (!events.empty()) {
      ASSIGN_OR_RETURN(
          sql::Statement outbox,
          events::OutboxInsert(std::string(kBookingStream), std::move(events)));
      statements.push_back(std::move(outbox));
    }
    if (!records.empty()) {
      for (sql::Statement& s :
           ForgetExpiredRequestsStatements(expired_request_ids, now)) {
        statements.push_back(std::move(s));
      }
    }
    statements.push_back(SaveCountsStatement(inventory));
    ASSIGN_OR_RETURN(std::vector<ResultSet> results, tx_.QueryAll(statements));
    if (results.back().empty())
      return absl::NotFoundError("inventory: not found");
    ++inventory.version;
    return tx_.BulkInsert("requests", kRequestColumns,
                          RequestRows(records, now));
  }

  absl::Status SaveCounts(SessionInventory& inventory) override {
    const sql::Statement save = SaveCountsStatement(inventory);
    ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(save.sql, save.params));
    if (rows.empty()) return absl::NotFoundError("inventory: not found");
    ++inventory.version;
    return absl::OkStatus();
  }

  absl::StatusOr<bool> PutCourseRules(const CourseRules& rules) override {
    ASSIGN_OR_RETURN(
        int64_t changed,
        tx_.Execute(
            "INSERT INTO courses (course, published, eligible, "
            "late_window_us, source_us, offer_mode, hold_us, min_hold_us) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT (course) DO UPDATE SET published = "
            "excluded.published, eligible = excluded.eligible, "
            "late_window_us = excluded.late_window_us, source_us = "
            "excluded.source_us, offer_mode = excluded.offer_mode, hold_us = "
            "excluded.hold_us, min_hold_us = excluded.min_hold_us "
            "WHERE courses.source_us <= excluded.source_us",
            {rules.course, int64_t{rules.published ? 1 : 0},
             EncodeEligible(rules.eligible_agency_types),
             absl::ToInt64Microseconds(rules.late_cancellation_window),
             absl::ToUnixMicros(rules.source_time),
             int64_t{rules.offer_policy.offer ? 1 : 0},
             absl::ToInt64Microseconds(rules.offer_policy.hold),
             absl::ToInt64Microseconds(rules.offer_policy.minimum_hold)}));
    return changed > 0;
  }

  absl::StatusOr<bool> PutSessionFacts(const SessionFacts& f) override {
    // Every release is due once (a past one just promotes at the next scan).
    const std::optional<absl::Time> release =
        NextRelease(f.holds, absl::InfinitePast());
    ASSIGN_OR_RETURN(
        int64_t changed,
        tx_.Execute(
            "INSERT INTO inventory (session, course, scheduled, capacity, "
            "confirmed, waiting, open_us, close_us, start_us, end_us, "
            "source_us, version, delivery_mode, holds, release_due_us) "
            "VALUES ($1, $2, $3, $4, 0, 0, $5, $6, $7, $8, $9, 1, $10, $11, "
            "$12) ON CONFLICT (session) DO UPDATE SET scheduled = "
            "excluded.scheduled, capacity = excluded.capacity, open_us = "
            "excluded.open_us, close_us = excluded.close_us, start_us = "
            "excluded.start_us, end_us = excluded.end_us, source_us = "
            "excluded.source_us, delivery_mode = excluded.delivery_mode, "
            "holds = excluded.holds, release_due_us = excluded.release_due_us, "
            "version = inventory.version + 1 "
            "WHERE inventory.source_us <= excluded.source_us",
            {f.session, f.course, int64_t{f.scheduled ? 1 : 0},
             int64_t{f.capacity}, absl::ToUnixMicros(f.booking_open),
             absl::ToUnixMicros(f.booking_close), absl::ToUnixMicros(f.start),
             absl::ToUnixMicros(f.end), absl::ToUnixMicros(f.source_time),
             Number(f.delivery_mode), EncodeHolds(f.holds),
             release ? Value(absl::ToUnixMicros(*release)) : sql::Null()}));
    return changed > 0;
  }

  absl::StatusOr<std::optional<CourseRules>> FindCourseRules(
      const std::string& course) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query("SELECT published, eligible, late_window_us, offer_mode, "
                  "hold_us, min_hold_us, source_us FROM courses WHERE "
                  "course = $1",
                  {course}));
    if (rows.empty()) return std::nullopt;
    CourseRules rules;
    rules.course = course;
    ASSIGN_OR_RETURN(int64_t published, rows.GetInt64(0, "published"));
    rules.published = published != 0;
    ASSIGN_OR_RETURN(std::string eligible, rows.GetString(0, "eligible"));
    rules.eligible_agency_types = SplitTypes(eligible, '|');
    ASSIGN_OR_RETURN(int64_t late_us, rows.GetInt64(0, "late_window_us"));
    rules.late_cancellation_window = absl::Microseconds(late_us);
    ASSIGN_OR_RETURN(int64_t offer_mode, rows.GetInt64(0, "offer_mode"));
    rules.offer_policy.offer = offer_mode != 0;
    ASSIGN_OR_RETURN(int64_t hold_us, rows.GetInt64(0, "hold_us"));
    rules.offer_policy.hold = absl::Microseconds(hold_us);
    ASSIGN_OR_RETURN(int64_t min_hold_us, rows.GetInt64(0, "min_hold_us"));
    rules.offer_policy.minimum_hold = absl::Microseconds(min_hold_us);
    ASSIGN_OR_RETURN(int64_t source_us, rows.GetInt64(0, "source_us"));
    rules.source_time = absl::FromUnixMicros(source_us);
    return rules;
  }

  absl::Status ArchiveCourse(const std::string& course,
                             absl::Time source_time) override {
    return tx_
        .Execute(
            "UPDATE courses SET published = 0, source_us = $2 WHERE "
            "course = $1 AND source_us <= $2",
            {course, absl::ToUnixMicros(source_time)})
        .status();
  }

  absl::Status CancelSession(const std::string& session) override {
    return tx_
        .Execute("UPDATE inventory SET scheduled = 0 WHERE session = $1",
                 {session})
        .status();
  }

  absl::StatusOr<std::optional<StoredBooking>> FindBooking(
      const std::string& reference) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query(absl::StrCat("SELECT ", kBookingColumns,
                               " FROM bookings WHERE reference = $1"),
                  {reference}));
    if (rows.empty()) return std::nullopt;
    return DecodeBooking(rows, 0);
  }

  absl::StatusOr<bool> HasActiveBooking(
      const std::string& session, const std::string& email_key,
      const std::string& except_reference) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query(absl::StrCat("SELECT COUNT(*) AS n FROM bookings WHERE "
                               "session = $1 AND email_key = $2 AND state IN ",
                               ActiveStates(), " AND reference <> $3"),
                  {session, email_key, except_reference}));
    ASSIGN_OR_RETURN(int64_t n, rows.GetInt64(0, "n"));
    return n > 0;
  }

  absl::Status InsertBookings(std::vector<StoredBooking>& bookings) override {
    if (bookings.empty()) return absl::OkStatus();
    std::vector<Params> rows;
    rows.reserve(bookings.size());
    for (const StoredBooking& stored : bookings) {
      const v1::Booking& b = stored.booking;
      Params row = MutableColumns(stored);
      row.push_back(b.course());
      row.push_back(int64_t{b.scope()});
      row.push_back(int64_t{b.delivery_preference()});
      row.push_back(b.booked_by_organisation());
      row.push_back(stored.token_kid);
      row.push_back(OptionalTime(b.create_time()));
      row.push_back(int64_t{1});  // version
      rows.push_back(std::move(row));
    }
    ASSIGN_OR_RETURN(
        std::vector<int64_t> seqs,
        tx_.InsertNumbered("bookings", kInsertColumns, std::move(rows), "seq",
                           "bookings_seq_seq"));
    for (size_t i = 0; i < bookings.size(); ++i) {
      bookings[i].seq = seqs[i];
      bookings[i].booking.set_etag("1");
    }
    return absl::OkStatus();
  }

  absl::Status UpdateBooking(const StoredBooking& stored) override {
    ASSIGN_OR_RETURN(
        int64_t changed,
        tx_.Execute(
            "UPDATE bookings SET session = $2, state = $3, display_name = $4, "
            "email = $5, email_key = $6, phone = $7, organisation = $8, "
            "agency_type = $9, job_role = $10, line_manager_email = $11, "
            "access_needs = $12, confirm_us = $13, update_us = $14, "
            "cancel_us = $15, cancel_cause = $16, cancel_reason = $17, "
            "cancel_late = $18, attendance = $19, offer_us = $20, "
            "expire_us = $21, lease_us = NULL, version = version + 1 "
            "WHERE reference = $1",
            MutableColumns(stored)));
    if (changed == 0) return absl::NotFoundError("booking: not found");
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<StoredBooking>> HeadOfWaitlist(
      const SessionInventory& session, int limit, int64_t after_seq) override {
    const sql::Statement head =
        HeadOfWaitlistStatement(tx_.engine(), session, limit, after_seq);
    return Bookings(head.sql, head.params);
  }

  absl::StatusOr<std::set<std::string>> ActiveAddresses(
      const std::string& session,
      const std::vector<std::string>& email_keys) override {
    if (email_keys.empty()) return std::set<std::string>();
    const sql::Statement active =
        ActiveEmailKeysStatement(tx_.engine(), session, email_keys);
    ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(active.sql, active.params));
    ASSIGN_OR_RETURN(std::vector<std::string> keys, Column(rows, "email_key"));
    return std::set<std::string>(keys.begin(), keys.end());
  }

  absl::StatusOr<std::vector<StoredBooking>> ActiveBookings(
      const std::string& session) override {
    return Bookings(absl::StrCat("SELECT ", kBookingColumns,
                                 " FROM bookings WHERE session = $1 AND "
                                 "state IN ",
                                 ActiveStates(), " ORDER BY seq"),
                    {session});
  }

  absl::StatusOr<int> WaitlistPosition(const std::string& session,
                                       int64_t seq) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        // Two counts, one per index (see HeadOfWaitlist).
        tx_.Query(
            absl::StrCat(
                "SELECT (SELECT COUNT(*) FROM bookings WHERE session = $1 "
                "AND state = ",
                kWaitlisted, " AND scope <> ", kAnyDate,
                " AND seq <= $2) + (SELECT COUNT(*) FROM bookings b JOIN "
                "inventory i ON i.session = $1 WHERE b.scope = ",
                kAnyDate, " AND b.state = ", kWaitlisted,
                " AND b.course = i.course AND ", AcceptingPreferences(),
                " AND b.seq <= $2) AS n"),
            {session, seq}));
    ASSIGN_OR_RETURN(int64_t n, rows.GetInt64(0, "n"));
    return static_cast<int>(n);
  }

  absl::StatusOr<int> AnyDatePosition(const std::string& course,
                                      int64_t seq) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query(absl::StrCat("SELECT COUNT(*) AS n FROM bookings WHERE "
                               "scope = ",
                               kAnyDate, " AND state = ", kWaitlisted,
                               " AND course = $1 AND seq <= $2"),
                  {course, seq}));
    ASSIGN_OR_RETURN(int64_t n, rows.GetInt64(0, "n"));
    return static_cast<int>(n);
  }

  absl::StatusOr<bool> HasActiveAnyDateEntry(const std::string& course,
                                             const std::string& email_key,
                                             absl::Time now) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query(absl::StrCat(
                      "SELECT COUNT(*) AS n FROM bookings b LEFT JOIN "
                      "inventory i ON i.session = b.session WHERE b.scope = ",
                      kAnyDate,
                      " AND b.course = $1 AND b.email_key = $2 AND "
                      "(b.state IN (",
                      kWaitlisted, ", ", kOffered,
                      ") OR (b.state = ", kConfirmed, " AND i.end_us > $3))"),
                  {course, email_key, absl::ToUnixMicros(now)}));
    ASSIGN_OR_RETURN(int64_t n, rows.GetInt64(0, "n"));
    return n > 0;
  }

  absl::StatusOr<std::vector<std::string>> SessionsOfCourse(
      const std::string& course, absl::Time starting_after) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query("SELECT session FROM inventory WHERE course = $1 AND "
                  "scheduled = 1 AND start_us > $2 ORDER BY session",
                  {course, absl::ToUnixMicros(starting_after)}));
    return Column(rows, "session");
  }

  absl::Status LockCourse(const std::string& course) override {
    return tx_
        .QueryForUpdate("SELECT course FROM courses WHERE course = $1",
                        {course})
        .status();
  }

  absl::StatusOr<std::vector<std::string>> ClaimDueOffers(absl::Time now,
                                                          absl::Duration lease,
                                                          int limit) override {
    // The outer conditions are checked again against the row as it is
    // when locked, so two replicas never both claim one offer.
    const int64_t now_us = absl::ToUnixMicros(now);
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query(absl::StrCat(
                      "UPDATE bookings SET lease_us = $2 WHERE reference IN "
                      "(SELECT reference FROM bookings WHERE state = ",
                      kOffered,
                      " AND expire_us <= $1 AND (lease_us IS NULL OR "
                      "lease_us < $1) ORDER BY expire_us LIMIT $3) AND state "
                      "= ",
                      kOffered,
                      " AND (lease_us IS NULL OR lease_us < "
                      "$1) RETURNING reference, expire_us, seq"),
                  {now_us, absl::ToUnixMicros(now + lease), int64_t{limit}}));
    // RETURNING keeps no order: oldest due first, then first come.
    std::vector<std::tuple<int64_t, int64_t, std::string>> due;
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSIGN_OR_RETURN(int64_t expire_us, rows.GetInt64(i, "expire_us"));
      ASSIGN_OR_RETURN(int64_t seq, rows.GetInt64(i, "seq"));
      ASSIGN_OR_RETURN(std::string reference, rows.GetString(i, "reference"));
      due.emplace_back(expire_us, seq, std::move(reference));
    }
    std::sort(due.begin(), due.end());
    std::vector<std::string> references;
    for (auto& [expire_us, seq, reference] : due)
      references.push_back(std::move(reference));
    return references;
  }

  absl::StatusOr<std::vector<std::string>> DueHoldReleases(absl::Time now,
                                                           int limit) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query("SELECT session FROM inventory WHERE release_due_us <= $1 "
                  "ORDER BY release_due_us LIMIT $2",
                  {absl::ToUnixMicros(now), int64_t{limit}}));
    return Column(rows, "session");
  }

  absl::Status SetReleaseDue(const std::string& session,
                             std::optional<absl::Time> due) override {
    return tx_
        .Execute("UPDATE inventory SET release_due_us = $2 WHERE session = $1",
                 {session, due ? Value(absl::ToUnixMicros(*due)) : sql::Null()})
        .status();
  }

  absl::StatusOr<std::vector<StoredBooking>> ListBookings(
      const std::string& session, const std::string& organisation,
      const std::vector<int>& states, int64_t before_seq, int limit) override {
    Params params;
    std::string sql =
        absl::StrCat("SELECT ", kBookingColumns, " FROM bookings WHERE 1 = 1");
    if (!session.empty()) {
      absl::StrAppend(&sql, " AND session = ", sql::AddParam(params, session));
    }
    if (!organisation.empty()) {
      // The literal lets both engines use the partial bookings_by_agency.
      absl::StrAppend(
          &sql, " AND booked_by_org = ", sql::AddParam(params, organisation),
          " AND booked_by_org <> ''");
    }
    if (!states.empty()) {
      std::vector<std::string> placeholders;
      for (int state : states)
        placeholders.push_back(sql::AddParam(params, int64_t{state}));
      absl::StrAppend(&sql, " AND state IN (",
                      absl::StrJoin(placeholders, ", "), ")");
    }
    if (before_seq > 0)
      absl::StrAppend(&sql, " AND seq < ", sql::AddParam(params, before_seq));
    absl::StrAppend(&sql, " ORDER BY seq DESC LIMIT ",
                    sql::AddParam(params, int64_t{limit}));
    return Bookings(sql, params);
  }

  absl::Status AddSubstitution(const std::string& reference,
                               const v1::Substitution& substitution,
                               const std::string& contact_id,
                               const v1::Attendee& previous) override {
    RETURN_IF_ERROR(
        tx_.Execute(
               "INSERT INTO substitutions (reference, substitute_us, "
               "actor) VALUES ($1, $2, $3)",
               {reference,
                absl::ToUnixMicros(FromProto(substitution.substitute_time())),
                substitution.actor()})
            .status());
    return tx_
        .Execute(
            "INSERT INTO previous_contacts (contact_id, reference, "
            "display_name, email, email_key) VALUES ($1, $2, $3, $4, $5)",
            {contact_id, reference, previous.display_name(), previous.email(),
             EmailKey(previous.email())})
        .status();
  }

  absl::StatusOr<int64_t> RenewTokenVersion(
      const std::string& reference) override {
    ASSIGN_OR_RETURN(ResultSet rows,
                     tx_.Query("UPDATE bookings SET token_version = "
                               "token_version + 1 WHERE reference = $1 "
                               "RETURNING token_version",
                               {reference}));
    if (rows.size() != 1) return absl::NotFoundError("booking: not found");
    return rows.GetInt64(0, "token_version");
  }

  absl::StatusOr<std::vector<v1::Substitution>> Substitutions(
      const std::string& reference) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query("SELECT substitute_us, actor FROM substitutions WHERE "
                  "reference = $1 ORDER BY substitute_us",
                  {reference}));
    std::vector<v1::Substitution> out;
    for (size_t i = 0; i < rows.size(); ++i) {
      v1::Substitution s;
      ASSIGN_OR_RETURN(int64_t at, rows.GetInt64(i, "substitute_us"));
      *s.mutable_substitute_time() = ToProto(absl::FromUnixMicros(at));
      ASSIGN_OR_RETURN(*s.mutable_actor(), rows.GetString(i, "actor"));
      out.push_back(std::move(s));
    }
    return out;
  }

  absl::Status ForgetPreviousContacts(const std::string& reference) override {
    return tx_
        .Execute("DELETE FROM previous_contacts WHERE reference = $1",
                 {reference})
        .status();
  }

  absl::StatusOr<int64_t> ForgetContactsOfEndedSessions(
      absl::Time ended_before) override {
    return tx_.Execute(
        "DELETE FROM previous_contacts WHERE reference IN (SELECT "
        "b.reference FROM bookings b JOIN inventory i ON i.session = "
        "b.session WHERE i.end_us < $1)",
        {absl::ToUnixMicros(ended_before)});
  }

  absl::StatusOr<std::vector<StoredBooking>> SessionBookings(
      const std::string& session, const std::vector<int>& states) override {
    Params params;
    std::string sql =
        absl::StrCat("SELECT ", kBookingColumns, " FROM bookings WHERE ",
                     "session = ", sql::AddParam(params, session));
    if (!states.empty()) {
      std::vector<std::string> placeholders;
      for (int state : states)
        placeholders.push_back(sql::AddParam(params, int64_t{state}));
      absl::StrAppend(&sql, " AND state IN (",
                      absl::StrJoin(placeholders, ", "), ")");
    }
    return Bookings(absl::StrCat(sql, " ORDER BY seq"), params);
  }

  absl::StatusOr<std::map<std::string, StoredBooking>> FindBookings(
      const std::vector<std::string>& references) override {
    std::map<std::string, StoredBooking> found;
    if (references.empty()) return found;
    Params params;
    std::vector<std::string> placeholders;
    for (const std::string& reference : references)
      placeholders.push_back(sql::AddParam(params, reference));
    ASSIGN_OR_RETURN(
        std::vector<StoredBooking> rows,
        Bookings(absl::StrCat("SELECT ", kBookingColumns,
                              " FROM bookings WHERE reference IN (",
                              absl::StrJoin(placeholders, ", "), ")"),
                 params));
    for (StoredBooking& stored : rows) {
      std::string reference = stored.booking.reference();
      found.emplace(std::move(reference), std::move(stored));
    }
    return found;
  }

  absl::Status SetAttendance(const std::string& reference,
                             v1::Attendance attendance,
                             absl::Time at) override {
    ASSIGN_OR_RETURN(
        int64_t changed,
        tx_.Execute("UPDATE bookings SET attendance = $2, attendance_us = $3, "
                    "update_us = $3, version = version + 1 WHERE "
                    "reference = $1",
                    {reference, int64_t{attendance}, absl::ToUnixMicros(at)}));
    if (changed == 0) return absl::NotFoundError("booking: not found");
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<v1::ParticipationSummary>> ParticipationPage(
      absl::Time from, absl::Time to, bool by_person,
      const std::optional<v1::ParticipationSummary>& after,
      int limit) override {
    // Keys compare byte by byte, as page tokens and the C++ rule do; the
    // organisation column keeps the database's collation, so PostgreSQL is
    // told to compare it as bytes here.
    const std::string key = by_person
                                ? "b.email_key"
                                : sql::Bytewise(tx_.engine(), "b.organisation");
    Params params;
    std::string sql = absl::StrCat(
        "SELECT k, bookings, late, no_shows FROM (SELECT ", key,
        " AS k, COUNT(*) AS bookings, SUM(CASE WHEN b.state = ",
        Number(BookingState::kCancelled),
        " AND b.cancel_late <> 0 THEN 1 ELSE 0 END) AS late, SUM(CASE WHEN "
        "b.attendance = ",
        int{v1::NO_SHOW},
        " THEN 1 ELSE 0 END) AS no_shows FROM bookings b JOIN inventory i ON "
        "i.session = b.session WHERE i.start_us >= ",
        sql::AddParam(params, absl::ToUnixMicros(from)), " AND i.start_us < ",
        sql::AddParam(params, absl::ToUnixMicros(to)), " AND ", key, " <> ''");
    if (by_person) {
      absl::StrAppend(&sql, " AND b.email_key NOT LIKE '", kErasedPrefix, "%'");
    }
    absl::StrAppend(&sql, " GROUP BY ", key, ") g");
    if (after) {
      const std::string no_shows =
          sql::AddParam(params, int64_t{after->no_shows()});
      const std::string late =
          sql::AddParam(params, int64_t{after->late_cancellations()});
      absl::StrAppend(&sql, " WHERE no_shows < ", no_shows,
                      " OR (no_shows = ", no_shows, " AND (late < ", late,
                      " OR (late = ", late, " AND k > ",
                      sql::AddParam(params, after->key()), ")))");
    }
    absl::StrAppend(&sql, " ORDER BY no_shows DESC, late DESC, k LIMIT ",
                    sql::AddParam(params, int64_t{limit}));
    ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(sql, params));
    std::vector<v1::ParticipationSummary> page(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSIGN_OR_RETURN(*page[i].mutable_key(), rows.GetString(i, "k"));
      ASSIGN_OR_RETURN(int64_t bookings, rows.GetInt64(i, "bookings"));
      ASSIGN_OR_RETURN(int64_t late, rows.GetInt64(i, "late"));
      ASSIGN_OR_RETURN(int64_t no_shows, rows.GetInt64(i, "no_shows"));
      page[i].set_bookings(static_cast<int32_t>(bookings));
      page[i].set_late_cancellations(static_cast<int32_t>(late));
      page[i].set_no_shows(static_cast<int32_t>(no_shows));
    }
    return page;
  }

  absl::StatusOr<std::vector<ReachFact>> ReachFacts(
      absl::Time from, absl::Time to, const std::string& course,
      const std::string& booked_by_org) override {
    Params params;
    std::string sql = absl::StrCat(
        "SELECT i.course, b.session, b.organisation, b.email_key, "
        "b.agency_type, b.state, b.create_us, b.confirm_us, b.cancel_us, "
        "b.cancel_late, b.attendance FROM bookings b JOIN inventory i ON "
        "i.session = b.session WHERE i.start_us >= ",
        sql::AddParam(params, absl::ToUnixMicros(from)), " AND i.start_us < ",
        sql::AddParam(params, absl::ToUnixMicros(to)));
    if (!course.empty()) {
      absl::StrAppend(&sql, " AND i.course = ", sql::AddParam(params, course));
    }
    if (!booked_by_org.empty()) {
      absl::StrAppend(&sql, " AND b.booked_by_org = ",
                      sql::AddParam(params, booked_by_org));
    }
    ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(sql, params));
    std::vector<ReachFact> facts(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      ReachFact& f = facts[i];
      ASSIGN_OR_RETURN(f.course, rows.GetString(i, "course"));
      ASSIGN_OR_RETURN(f.session, rows.GetString(i, "session"));
      ASSIGN_OR_RETURN(f.organisation, rows.GetString(i, "organisation"));
      ASSIGN_OR_RETURN(f.email_key, rows.GetString(i, "email_key"));
      if (absl::StartsWith(f.email_key, kErasedPrefix)) f.email_key.clear();
      ASSIGN_OR_RETURN(int64_t agency_type, rows.GetInt64(i, "agency_type"));
      f.agency_type = static_cast<int>(agency_type);
      ASSIGN_OR_RETURN(int64_t state, rows.GetInt64(i, "state"));
      f.state = static_cast<v1::Booking::State>(state);
      ASSIGN_OR_RETURN(int64_t create_us, rows.GetInt64(i, "create_us"));
      f.create_time = absl::FromUnixMicros(create_us);
      ASSIGN_OR_RETURN(std::optional<int64_t> confirm_us,
                       rows.GetOptionalInt64(i, "confirm_us"));
      if (confirm_us) f.confirm_time = absl::FromUnixMicros(*confirm_us);
      ASSIGN_OR_RETURN(std::optional<int64_t> cancel_us,
                       rows.GetOptionalInt64(i, "cancel_us"));
      if (cancel_us) f.cancel_time = absl::FromUnixMicros(*cancel_us);
      ASSIGN_OR_RETURN(int64_t late, rows.GetInt64(i, "cancel_late"));
      f.late = late != 0;
      ASSIGN_OR_RETURN(int64_t attendance, rows.GetInt64(i, "attendance"));
      f.attendance = static_cast<v1::Attendance>(attendance);
    }
    return facts;
  }

  absl::StatusOr<std::vector<SessionStart>> SessionsStarting(
      absl::Time from, absl::Time to, const std::string& course) override {
    Params params;
    std::string sql = absl::StrCat(
        "SELECT course, session, start_us, scheduled FROM inventory WHERE "
        "start_us >= ",
        sql::AddParam(params, absl::ToUnixMicros(from)), " AND start_us < ",
        sql::AddParam(params, absl::ToUnixMicros(to)));
    if (!course.empty()) {
      absl::StrAppend(&sql, " AND course = ", sql::AddParam(params, course));
    }
    ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(sql, params));
    std::vector<SessionStart> sessions(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSIGN_OR_RETURN(sessions[i].course, rows.GetString(i, "course"));
      ASSIGN_OR_RETURN(sessions[i].session, rows.GetString(i, "session"));
      ASSIGN_OR_RETURN(int64_t start_us, rows.GetInt64(i, "start_us"));
      sessions[i].start = absl::FromUnixMicros(start_us);
      ASSIGN_OR_RETURN(int64_t scheduled, rows.GetInt64(i, "scheduled"));
      sessions[i].scheduled = scheduled != 0;
    }
    return sessions;
  }

  absl::StatusOr<std::vector<StoredBooking>> BookingsOfEmail(
      const std::string& email_key) override {
    // Active bookings are looked up session by session in
    // bookings_one_active (any-date entries not yet placed have no
    // session), the others in bookings_inactive_by_email: there is no index
    // on the address of every booking, see migration 5. The state terms
    // repeat the partial indexes' own, which is how SQLite sees that they
    // apply. Every booking's session is in inventory, which is never
    // deleted from. PostgreSQL probes per session or scans, whichever its
    // statistics favour (a scan, 13 ms, for 200,000 bookings in 1,000
    // sessions): still right, and this serves rare requests (erasure,
    // export).
    return Bookings(
        absl::StrCat(
            "SELECT ", kBookingColumns,
            " FROM bookings WHERE session IS NULL AND email_key = $1 AND "
            "state IN ",
            ActiveStates(), " UNION ALL SELECT ", kBookingColumns,
            " FROM bookings WHERE session IN (SELECT session FROM inventory) "
            "AND email_key = $1 AND state IN ",
            ActiveStates(), " UNION ALL SELECT ", kBookingColumns,
            " FROM bookings WHERE email_key = $1 AND state NOT IN ",
            ActiveStates(), " ORDER BY seq"),
        {email_key});
  }

  absl::StatusOr<std::vector<std::string>> ReplacedOn(
      const std::string& email_key) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query("SELECT DISTINCT reference FROM previous_contacts WHERE "
                  "email_key = $1 ORDER BY reference",
                  {email_key}));
    std::vector<std::string> references;
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSIGN_OR_RETURN(std::string reference, rows.GetString(i, "reference"));
      references.push_back(std::move(reference));
    }
    return references;
  }

  absl::Status EraseAttendee(const std::string& reference) override {
    // The address key is unique per erased booking, so that two erased
    // active bookings of one session never collide in bookings_one_active.
    return tx_
        .Execute(
            "UPDATE bookings SET display_name = '', email = '', email_key = "
            "$2, phone = '', job_role = '', line_manager_email = '', "
            "access_needs = '', cancel_reason = '', version = version + 1 "
            "WHERE reference = $1",
            {reference, absl::StrCat(kErasedPrefix, reference)})
        .status();
  }

  // The address as line manager is rare to ask for (export, erasure) and
  // has no index: one scan. Compared in ASCII lower case, as EmailKey()
  // does (PostgreSQL's lower() of a non-C collation would fold more).
  static std::string LineManagerKey(sql::Engine engine) {
    return absl::StrCat("lower(", sql::Bytewise(engine, "line_manager_email"),
                        ")");
  }

  absl::StatusOr<std::vector<std::string>> NamedAsLineManagerOn(
      const std::string& email_key) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query(absl::StrCat("SELECT reference FROM bookings WHERE "
                               "line_manager_email <> '' AND ",
                               LineManagerKey(tx_.engine()),
                               " = $1 ORDER BY reference"),
                  {email_key}));
    return Column(rows, "reference");
  }

  absl::StatusOr<std::vector<std::string>> ForgetLineManager(
      const std::string& email_key) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query(absl::StrCat("UPDATE bookings SET line_manager_email = '', "
                               "version = version + 1 WHERE "
                               "line_manager_email <> '' AND ",
                               LineManagerKey(tx_.engine()),
                               " = $1 RETURNING reference"),
                  {email_key}));
    return Column(rows, "reference");
  }

  absl::Status ForgetContactsOf(const std::string& email_key) override {
    return tx_
        .Execute("DELETE FROM previous_contacts WHERE email_key = $1",
                 {email_key})
        .status();
  }

  absl::StatusOr<int64_t> ForgetAccessNeeds(absl::Time ended_before) override {
    return tx_.Execute(
        "UPDATE bookings SET access_needs = '' WHERE access_needs <> '' AND "
        "session IN (SELECT session FROM inventory WHERE end_us < $1)",
        {absl::ToUnixMicros(ended_before)});
  }

  // Both look requests up by id alone and leave expired ones out here: with
  // `AND create_us > $2` in the SQL, PostgreSQL's generic plan may walk the
  // age index over every recent request and test each against the ids
  // (seen at 2 ms per batch of 200), instead of probing the key.
  absl::StatusOr<std::optional<RequestRecord>> FindRequest(
      const std::string& request_id, absl::Time now) override {
    const sql::Statement find =
        FindRequestsStatement(tx_.engine(), {request_id});
    ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(find.sql, find.params));
    ASSIGN_OR_RETURN(auto found, DecodeRequests(rows, now));
    if (found.empty()) return std::nullopt;
    return std::move(found.begin()->second);
  }

  absl::Status RecordRequest(const std::string& request_id,
                             const RequestRecord& record,
                             absl::Time now) override {
    for (const sql::Statement& s :
         ForgetExpiredRequestsStatements({request_id}, now)) {
      RETURN_IF_ERROR(tx_.Execute(s.sql, s.params).status());
    }
    return tx_.BulkInsert("requests", kRequestColumns,
                          RequestRows({{request_id, record}}, now));
  }

  absl::Status AddEvent(training::events::v1::Event event) override {
    return events::WriteToOutbox(tx_, kBookingStream, std::move(event));
  }

  absl::Status AddEvents(
      std::vector<training::events::v1::Event> events) override {
    return events::WriteToOutbox(tx_, kBookingStream, std::move(events));
  }

 private:
  // The inventory LockStatements read; nullopt when the session (or its
  // course) is unknown.
  absl::StatusOr<std::optional<SessionInventory>> LockedInventory(
      const std::string& session, const std::vector<ResultSet>& results) {
    if (results[0].empty()) return std::nullopt;
    ASSIGN_OR_RETURN(std::optional<SessionInventory> inventory,
                     InventoryFrom(session, results[1]));
    if (!inventory) return std::nullopt;
    ASSIGN_OR_RETURN(int64_t n, results[2].GetInt64(0, "n"));
    inventory->any_date_waiting = static_cast<int>(n);
    return inventory;
  }

  // Decodes kInventorySelect's rows; a session with agency holds also
  // needs its occupants by agency type.
  absl::StatusOr<std::optional<SessionInventory>> InventoryFrom(
      const std::string& session, const ResultSet& rows) {
    if (rows.empty()) return std::nullopt;
    ASSIGN_OR_RETURN(SessionInventory inventory, DecodeInventory(rows));
    if (!inventory.holds.empty()) {
      ASSIGN_OR_RETURN(
          ResultSet types,
          tx_.Query(absl::StrCat("SELECT agency_type, COUNT(*) AS n FROM "
                                 "bookings WHERE session = $1 AND state IN (",
                                 kConfirmed, ", ", kOffered,
                                 ") GROUP BY agency_type"),
                    {session}));
      for (size_t i = 0; i < types.size(); ++i) {
        ASSIGN_OR_RETURN(int64_t type, types.GetInt64(i, "agency_type"));
        ASSIGN_OR_RETURN(int64_t count, types.GetInt64(i, "n"));
        inventory.occupants_by_type[static_cast<AgencyType>(type)] =
            static_cast<int>(count);
      }
    }
    return inventory;
  }

  absl::StatusOr<std::vector<StoredBooking>> Bookings(const std::string& sql,
                                                      const Params& params) {
    ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(sql, params));
    std::vector<StoredBooking> out;
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSIGN_OR_RETURN(StoredBooking booking, DecodeBooking(rows, i));
      out.push_back(std::move(booking));
    }
    return out;
  }

  static absl::StatusOr<std::vector<std::string>> Column(
      const ResultSet& rows, absl::string_view column) {
    std::vector<std::string> out;
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSIGN_OR_RETURN(std::string value, rows.GetString(i, column));
      out.push_back(std::move(value));
    }
    return out;
  }

  sql::Transaction& tx_;
};

}  // namespace

std::vector<sql::Migration> BookingMigrations() {
  return {{1, "courses, inventory, bookings, substitutions, requests",
           sql::PortableDdl(R"sql(
CREATE TABLE courses (
  course TEXT PRIMARY KEY,
  published INTEGER NOT NULL,
  eligible TEXT NOT NULL,
  late_window_us BIGINT NOT NULL,
  source_us BIGINT NOT NULL
);
CREATE TABLE inventory (
  session TEXT PRIMARY KEY,
  course TEXT NOT NULL,
  scheduled INTEGER NOT NULL,
  capacity INTEGER NOT NULL,
  confirmed INTEGER NOT NULL,
  waiting INTEGER NOT NULL,
  open_us BIGINT NOT NULL,
  close_us BIGINT NOT NULL,
  start_us BIGINT NOT NULL,
  end_us BIGINT NOT NULL,
  source_us BIGINT NOT NULL,
  version BIGINT NOT NULL
);
CREATE TABLE bookings (
  seq SERIAL_KEY,
  reference TEXT NOT NULL UNIQUE,
  session TEXT,
  course TEXT NOT NULL,
  scope INTEGER NOT NULL,
  delivery_preference INTEGER NOT NULL,
  state INTEGER NOT NULL,
  display_name TEXT NOT NULL,
  email TEXT NOT NULL,
  email_key TEXT NOT NULL,
  phone TEXT NOT NULL,
  organisation TEXT NOT NULL,
  agency_type INTEGER NOT NULL,
  job_role TEXT NOT NULL,
  line_manager_email TEXT NOT NULL,
  access_needs TEXT NOT NULL,
  booked_by_org TEXT NOT NULL,
  token_kid TEXT NOT NULL,
  create_us BIGINT NOT NULL,
  confirm_us BIGINT,
  update_us BIGINT NOT NULL,
  cancel_us BIGINT,
  cancel_cause INTEGER NOT NULL,
  cancel_reason TEXT NOT NULL,
  cancel_late INTEGER NOT NULL,
  attendance INTEGER NOT NULL,
  version BIGINT NOT NULL
);
-- One active booking per address per session, whatever the code above does.
CREATE UNIQUE INDEX bookings_one_active ON bookings (session, email_key)
  WHERE state IN (1, 2, 3);
CREATE INDEX bookings_by_session ON bookings (session, state, seq);
CREATE INDEX bookings_by_org ON bookings (booked_by_org, seq);
CREATE TABLE substitutions (
  reference TEXT NOT NULL,
  substitute_us BIGINT NOT NULL,
  actor TEXT NOT NULL
);
CREATE INDEX substitutions_by_booking ON substitutions (reference);
CREATE TABLE previous_contacts (
  contact_id TEXT PRIMARY KEY,
  reference TEXT NOT NULL,
  display_name TEXT NOT NULL,
  email TEXT NOT NULL
);
CREATE INDEX previous_contacts_by_booking ON previous_contacts (reference);
CREATE TABLE requests (
  request_id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  reference TEXT NOT NULL,
  create_us BIGINT NOT NULL
);
CREATE INDEX requests_by_age ON requests (create_us);
)sql")},
          {2, "attendance time; finding people by address; sessions by start",
           sql::PortableDdl(R"sql(
ALTER TABLE bookings ADD COLUMN attendance_us BIGINT;
ALTER TABLE previous_contacts ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
UPDATE previous_contacts SET email_key = lower(email);
CREATE INDEX bookings_by_email ON bookings (email_key);
CREATE INDEX previous_contacts_by_email ON previous_contacts (email_key);
CREATE INDEX inventory_by_start ON inventory (start_us);
)sql")},
          {3, "offers, any-date entries, agency holds", sql::PortableDdl(R"sql(
ALTER TABLE courses ADD COLUMN offer_mode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE courses ADD COLUMN hold_us BIGINT NOT NULL DEFAULT 172800000000;
ALTER TABLE courses ADD COLUMN min_hold_us BIGINT NOT NULL DEFAULT 7200000000;
ALTER TABLE inventory ADD COLUMN offers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inventory ADD COLUMN delivery_mode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inventory ADD COLUMN holds TEXT NOT NULL DEFAULT '';
ALTER TABLE inventory ADD COLUMN release_due_us BIGINT;
ALTER TABLE bookings ADD COLUMN offer_us BIGINT;
ALTER TABLE bookings ADD COLUMN expire_us BIGINT;
ALTER TABLE bookings ADD COLUMN lease_us BIGINT;
CREATE INDEX bookings_due_offers ON bookings (expire_us) WHERE state = 3;
CREATE INDEX bookings_any_date ON bookings (course, state, seq)
  WHERE scope = 2;
-- One waiting any-date entry per address per course.
CREATE UNIQUE INDEX bookings_one_any_date ON bookings (course, email_key)
  WHERE scope = 2 AND state = 2;
CREATE INDEX inventory_release_due ON inventory (release_due_us);
)sql")},
          {4, "finding people by address through their sessions",
           sql::PortableDdl(R"sql(
-- An index on the address alone puts each new booking at a random place,
-- and a batch of 200 bookings then writes 200 scattered index pages; with
-- the session first, a batch writes a few.
CREATE INDEX bookings_by_session_email ON bookings (session, email_key);
DROP INDEX bookings_by_email;
)sql")},
          {5, "finding people by address without an index entry per booking",
           sql::PortableDdl(R"sql(
-- Migration 4's index cost every booking one more index entry (1 of 6).
-- Active bookings are found through bookings_one_active, on the same
-- columns; the others through an index written only when a booking stops
-- being active, which is rare and changes the row anyway.
CREATE INDEX bookings_inactive_by_email ON bookings (email_key)
  WHERE state NOT IN (1, 2, 3);
DROP INDEX bookings_by_session_email;
)sql")},
          {6,
           "identifiers compared byte by byte; agency index without public "
           "bookings",
           {.sqlite = R"sql(
-- SQLite compares text byte by byte already (BINARY).
CREATE INDEX bookings_by_agency ON bookings (booked_by_org, seq)
  WHERE booked_by_org <> '';
DROP INDEX bookings_by_org;
)sql",
            .postgres = R"sql(
-- Identifiers are ASCII and compared for equality or a stable order, never
-- for people: the "C" collation compares bytes, where the database's
-- default (C.UTF-8, en_GB.UTF-8, ...) calls strcoll for every comparison of
-- every index search and insert. The indexes on these columns are rebuilt.
ALTER TABLE courses ALTER COLUMN course TYPE TEXT COLLATE "C";
ALTER TABLE inventory ALTER COLUMN session TYPE TEXT COLLATE "C",
  ALTER COLUMN course TYPE TEXT COLLATE "C";
ALTER TABLE bookings ALTER COLUMN reference TYPE TEXT COLLATE "C",
  ALTER COLUMN session TYPE TEXT COLLATE "C",
  ALTER COLUMN course TYPE TEXT COLLATE "C",
  ALTER COLUMN email_key TYPE TEXT COLLATE "C",
  ALTER COLUMN booked_by_org TYPE TEXT COLLATE "C";
ALTER TABLE substitutions ALTER COLUMN reference TYPE TEXT COLLATE "C";
ALTER TABLE previous_contacts ALTER COLUMN contact_id TYPE TEXT COLLATE "C",
  ALTER COLUMN reference TYPE TEXT COLLATE "C",
  ALTER COLUMN email_key TYPE TEXT COLLATE "C";
ALTER TABLE requests ALTER COLUMN request_id TYPE TEXT COLLATE "C";
-- Bookings from the public page have no organisation: they need no entry
-- in the index agencies list their own bookings by.
CREATE INDEX bookings_by_agency ON bookings (booked_by_org, seq)
  WHERE booked_by_org <> '';
DROP INDEX bookings_by_org;
)sql"}},
          {7, "manage tokens re-keyed when a place passes to a colleague",
           sql::PortableDdl(R"sql(
ALTER TABLE bookings ADD COLUMN token_version BIGINT NOT NULL DEFAULT 1;
)sql")}};
}

absl::StatusOr<std::unique_ptr<SqlBookingStore>> SqlBookingStore::Open(
    sql::Database* db) {
  RETURN_IF_ERROR(
      sql::ApplyMigrations(*db, "events", events::EventMigrations()));
  RETURN_IF_ERROR(sql::ApplyMigrations(*db, "booking", BookingMigrations()));
  return std::unique_ptr<SqlBookingStore>(new SqlBookingStore(db));
}

std::unique_ptr<BookingTransaction> SqlBookingStore::Wrap(
    sql::Transaction& tx) {
  return std::make_unique<SqlBookingTransaction>(tx);
}

absl::Status SqlBookingStore::ScrubFreedSpace() {
  // The tables personal data is written to; the outbox's events name
  // bookings, never people.
  return db_->ScrubFreedSpace({"bookings", "previous_contacts"});
}

absl::Status SqlBookingStore::Run(
    Mode mode, const std::function<absl::Status(BookingTransaction&)>& body) {
  return sql::RunInTransaction(
      *db_, mode == Mode::kRead ? sql::TxMode::kRead : sql::TxMode::kWrite,
      [&](sql::Transaction& tx) {
        SqlBookingTransaction booking_tx(tx);
        return body(booking_tx);
      });
}

}  // namespace training::booking

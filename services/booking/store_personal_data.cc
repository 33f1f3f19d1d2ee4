// The SQL booking transaction's personal data: substitutions and the
// contacts of replaced attendees, finding and erasing a person, line
// managers, and what is forgotten once no longer needed.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/events/outbox.h"
#include "common/sql/dialect.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/booking/domain.h"
#include "services/booking/store_rows.h"
#include "services/booking/store_sql.h"
#include "services/booking/store_transaction.h"

namespace training::booking {
namespace sql_store {

absl::Status SqlBookingTransaction::AddSubstitution(
    const std::string& reference, const v1::Substitution& substitution,
    const std::string& contact_id, const v1::Attendee& previous) {
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

absl::StatusOr<int64_t> SqlBookingTransaction::RenewTokenVersion(
    const std::string& reference) {
  ASSIGN_OR_RETURN(ResultSet rows,
                   tx_.Query("UPDATE bookings SET token_version = "
                             "token_version + 1 WHERE reference = $1 "
                             "RETURNING token_version",
                             {reference}));
  if (rows.size() != 1) return absl::NotFoundError("booking: not found");
  return rows.GetInt64(0, "token_version");
}

absl::StatusOr<std::vector<v1::Substitution>>
SqlBookingTransaction::Substitutions(const std::string& reference) {
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

absl::Status SqlBookingTransaction::ForgetPreviousContacts(
    const std::string& reference) {
  return tx_
      .Execute("DELETE FROM previous_contacts WHERE reference = $1",
               {reference})
      .status();
}

absl::StatusOr<std::optional<PreviousContact>>
SqlBookingTransaction::FindPreviousContact(const std::string& contact_id) {
  ASSIGN_OR_RETURN(ResultSet rows,
                   tx_.Query("SELECT reference, display_name, email FROM "
                             "previous_contacts WHERE contact_id = $1",
                             {contact_id}));
  if (rows.size() == 0) return std::nullopt;
  PreviousContact contact;
  ASSIGN_OR_RETURN(contact.reference, rows.GetString(0, "reference"));
  ASSIGN_OR_RETURN(contact.display_name, rows.GetString(0, "display_name"));
  ASSIGN_OR_RETURN(contact.email, rows.GetString(0, "email"));
  return contact;
}

absl::StatusOr<int64_t> SqlBookingTransaction::ForgetContactsOfEndedSessions(
    absl::Time ended_before) {
  return tx_.Execute(
      "DELETE FROM previous_contacts WHERE reference IN (SELECT "
      "b.reference FROM bookings b JOIN inventory i ON i.session = "
      "b.session WHERE i.end_us < $1)",
      {absl::ToUnixMicros(ended_before)});
}

absl::StatusOr<std::vector<StoredBooking>>
SqlBookingTransaction::BookingsOfEmail(const std::string& email_key) {
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

absl::StatusOr<std::vector<std::string>> SqlBookingTransaction::ReplacedOn(
    const std::string& email_key) {
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

absl::Status SqlBookingTransaction::EraseAttendee(
    const std::string& reference) {
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
std::string SqlBookingTransaction::LineManagerKey(sql::Engine engine) {
  return absl::StrCat("lower(", sql::Bytewise(engine, "line_manager_email"),
                      ")");
}

absl::StatusOr<std::vector<std::string>>
SqlBookingTransaction::NamedAsLineManagerOn(const std::string& email_key) {
  ASSIGN_OR_RETURN(
      ResultSet rows,
      tx_.Query(absl::StrCat("SELECT reference FROM bookings WHERE "
                             "line_manager_email <> '' AND ",
                             LineManagerKey(tx_.engine()),
                             " = $1 ORDER BY reference"),
                {email_key}));
  return Column(rows, "reference");
}

absl::StatusOr<std::vector<std::string>>
SqlBookingTransaction::ForgetLineManager(const std::string& email_key) {
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

absl::Status SqlBookingTransaction::ForgetContactsOf(
    const std::string& email_key) {
  return tx_
      .Execute("DELETE FROM previous_contacts WHERE email_key = $1",
               {email_key})
      .status();
}

absl::StatusOr<int64_t> SqlBookingTransaction::ForgetAccessNeeds(
    absl::Time ended_before) {
  return tx_.Execute(
      "UPDATE bookings SET access_needs = '' WHERE access_needs <> '' AND "
      "session IN (SELECT session FROM inventory WHERE end_us < $1)",
      {absl::ToUnixMicros(ended_before)});
}

}  // namespace sql_store

}  // namespace training::booking

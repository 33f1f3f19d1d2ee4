// The notification store's address-keyed records: every address is found by
// its keyed hash (common/auth/address_hash.h), the same one a
// PersonalDataErased event names the erased address by.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth/address_hash.h"
#include "common/status_macros.h"
#include "services/notification/delivery_rules.h"
#include "services/notification/store.h"

namespace training::notification {
namespace {

constexpr char kSuppressionColumns[] =
    "address_hash, masked_recipient, reason, delivery, create_us";

absl::StatusOr<SuppressionEntry> DecodeSuppression(const sql::ResultSet& rows,
                                                   size_t i) {
  SuppressionEntry e;
  ASSIGN_OR_RETURN(e.address_hash, rows.GetString(i, "address_hash"));
  ASSIGN_OR_RETURN(e.masked_recipient, rows.GetString(i, "masked_recipient"));
  ASSIGN_OR_RETURN(e.reason, rows.GetString(i, "reason"));
  ASSIGN_OR_RETURN(e.delivery, rows.GetString(i, "delivery"));
  ASSIGN_OR_RETURN(int64_t us, rows.GetInt64(i, "create_us"));
  e.create_time = absl::FromUnixMicros(us);
  return e;
}

}  // namespace

std::string NotificationStore::AddressHash(absl::string_view email) const {
  if (email.empty() || address_keys_ == nullptr) return "";
  return auth::HashAddress(*address_keys_, email).hash;
}

std::vector<std::string> NotificationStore::AddressHashes(
    absl::string_view email) const {
  std::vector<std::string> hashes;
  if (email.empty() || address_keys_ == nullptr) return hashes;
  for (size_t i = 0; i < address_keys_->size(); ++i) {
    hashes.push_back(
        auth::HashAddress(*address_keys_, email, address_keys_->kid(i)).hash);
  }
  return hashes;
}

std::string NotificationStore::AddressIn(sql::Params& params,
                                         absl::string_view email) const {
  std::vector<std::string> marks;
  for (const std::string& hash : AddressHashes(email)) {
    marks.push_back(sql::AddParam(params, hash));
  }
  // No key or no address: a list nothing is in.
  if (marks.empty()) marks.push_back(sql::AddParam(params, std::string()));
  return absl::StrCat(" IN (", absl::StrJoin(marks, ", "), ")");
}

absl::StatusOr<bool> NotificationStore::OptedOutOfFeedback(
    absl::string_view email) {
  bool found = false;
  sql::Params params;
  const std::string sql =
      absl::StrCat("SELECT 1 AS one FROM feedback_opt_outs WHERE address_hash",
                   AddressIn(params, email));
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(sql::ResultSet rows, tx.Query(sql, params));
        found = !rows.empty();
        return absl::OkStatus();
      }));
  return found;
}

absl::StatusOr<bool> NotificationStore::OptOutOfDelivery(const std::string& id,
                                                         absl::Time now) {
  bool found = false;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            int64_t n,
            tx.Execute("INSERT INTO feedback_opt_outs (address_hash, "
                       "create_us) SELECT recipient_hash, $2 FROM deliveries "
                       "WHERE id = $1 AND recipient_hash <> '' ON CONFLICT "
                       "(address_hash) DO NOTHING",
                       {id, absl::ToUnixMicros(now)}));
        found = n == 1;
        if (found) return absl::OkStatus();
        // Opted out before: still found.
        ASSIGN_OR_RETURN(
            sql::ResultSet rows,
            tx.Query("SELECT 1 AS one FROM deliveries WHERE id = $1 AND "
                     "recipient_hash <> ''",
                     {id}));
        found = !rows.empty();
        return absl::OkStatus();
      }));
  return found;
}

absl::StatusOr<std::optional<RecipientBlock>> NotificationStore::CheckRecipient(
    const std::string& recipient, absl::Time now, int daily_cap) {
  std::optional<RecipientBlock> block;
  const std::string hash = AddressHash(recipient);
  if (hash.empty()) return block;
  sql::Params params;
  const std::string suppressed =
      absl::StrCat("SELECT reason FROM suppressions WHERE address_hash",
                   AddressIn(params, recipient), " LIMIT 1");
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        block.reset();
        ASSIGN_OR_RETURN(sql::ResultSet found, tx.Query(suppressed, params));
        if (!found.empty()) {
          ASSIGN_OR_RETURN(std::string reason, found.GetString(0, "reason"));
          block =
              RecipientBlock{.notify_status = "permanent-failure",
                             .reason = absl::StrCat(
                                 "the address is suppressed (", reason, ")")};
          return absl::OkStatus();
        }
        if (daily_cap <= 0) return absl::OkStatus();
        ASSIGN_OR_RETURN(
            sql::ResultSet rows,
            tx.Query("SELECT COUNT(*) AS n FROM deliveries WHERE "
                     "recipient_hash = $1 AND state = 3 AND send_us >= $2",
                     {hash, absl::ToUnixMicros(now - absl::Hours(24))}));
        ASSIGN_OR_RETURN(int64_t sent, rows.GetInt64(0, "n"));
        if (sent >= daily_cap) {
          block = RecipientBlock{
              .notify_status = "technical-failure",
              .reason = absl::StrCat("the address was sent ", daily_cap,
                                     " messages in the last 24 hours")};
        }
        return absl::OkStatus();
      }));
  return block;
}

absl::Status NotificationStore::Suppress(const std::string& id,
                                         const std::string& recipient,
                                         const std::string& reason,
                                         absl::Time now) {
  const std::string hash = AddressHash(recipient);
  if (hash.empty()) return absl::OkStatus();
  return sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        return tx
            .Execute(
                "INSERT INTO suppressions (address_hash, masked_recipient, "
                "reason, delivery, create_us) VALUES ($1, $2, $3, $4, $5) "
                "ON CONFLICT (address_hash) DO NOTHING",
                {hash, MaskRecipient(recipient), reason,
                 absl::StrCat("deliveries/", id), absl::ToUnixMicros(now)})
            .status();
      });
}

absl::StatusOr<std::vector<SuppressionEntry>>
NotificationStore::ListSuppressions(
    std::optional<std::pair<int64_t, std::string>> after, int limit) {
  std::vector<SuppressionEntry> out;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        out.clear();
        sql::Params params;
        std::string sql =
            absl::StrCat("SELECT ", kSuppressionColumns, " FROM suppressions");
        if (after) {
          const std::string us = sql::AddParam(params, after->first);
          const std::string hash = sql::AddParam(params, after->second);
          absl::StrAppend(&sql, " WHERE create_us < ", us,
                          " OR (create_us = ", us, " AND address_hash < ", hash,
                          ")");
        }
        absl::StrAppend(&sql,
                        " ORDER BY create_us DESC, address_hash DESC LIMIT ",
                        sql::AddParam(params, int64_t{limit}));
        ASSIGN_OR_RETURN(sql::ResultSet rows, tx.Query(sql, params));
        for (size_t i = 0; i < rows.size(); ++i) {
          ASSIGN_OR_RETURN(out.emplace_back(), DecodeSuppression(rows, i));
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<bool> NotificationStore::DeleteSuppression(
    const std::string& address_hash) {
  bool deleted = false;
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            int64_t n,
            tx.Execute("DELETE FROM suppressions WHERE address_hash = $1",
                       {address_hash}));
        deleted = n == 1;
        return absl::OkStatus();
      }));
  return deleted;
}

namespace {

// Cancels the unsent messages `where` picks and blanks their address and
// text (`$1` is the caller's parameter; `$2` the time).
absl::Status BlankMessages(sql::Transaction& tx, const std::string& where,
                           const std::string& param, absl::Time now,
                           bool keep_recipient) {
  return tx
      .Execute(
          absl::StrCat(
              "UPDATE deliveries SET state = CASE WHEN state IN (1, 2, 4, 7) "
              "THEN 6 ELSE state END, notify_status = CASE WHEN state IN (1, "
              "2, 4, 7) THEN 'cancelled' ELSE notify_status END, lease_owner "
              "= '', update_us = $2, message = $3",
              keep_recipient ? ""
                             : ", recipient = '', masked_recipient = '***', "
                               "recipient_hash = ''",
              " WHERE ", where),
          {param, absl::ToUnixMicros(now), sql::Blob{""}})
      .status();
}

}  // namespace

absl::Status NotificationStore::ForgetAddress(sql::Transaction& tx,
                                              const std::string& address_hash,
                                              absl::Time now) {
  if (address_hash.empty()) return absl::OkStatus();
  // The team's copy of an enquiry holds the sender's address and words.
  RETURN_IF_ERROR(BlankMessages(tx,
                                "enquiry IN (SELECT 'enquiries/' || id FROM "
                                "enquiries WHERE address_hash = $1)",
                                address_hash, now, /*keep_recipient=*/true));
  RETURN_IF_ERROR(BlankMessages(tx, "recipient_hash = $1", address_hash, now,
                                /*keep_recipient=*/false));
  RETURN_IF_ERROR(
      tx.Execute("UPDATE enquiries SET display_name = '', email = '', body = "
                 "'', address_hash = '' WHERE address_hash = $1",
                 {address_hash})
          .status());
  RETURN_IF_ERROR(
      tx.Execute("DELETE FROM feedback_opt_outs WHERE address_hash = $1",
                 {address_hash})
          .status());
  return tx
      .Execute("DELETE FROM suppressions WHERE address_hash = $1",
               {address_hash})
      .status();
}

absl::Status NotificationStore::ForgetLineManagerCopies(
    sql::Transaction& tx, const std::vector<std::string>& bookings,
    absl::Time now) {
  for (const std::string& booking : bookings) {
    RETURN_IF_ERROR(BlankMessages(tx, "booking = $1 AND recipient_role = 2",
                                  booking, now, /*keep_recipient=*/false));
  }
  return absl::OkStatus();
}

bool NotificationStore::IsCurrentAddressKey(const std::string& kid) const {
  return kid.empty() || address_keys_ == nullptr ||
         address_keys_->kid(0) == kid;
}

absl::StatusOr<std::optional<SuppressionEntry>>
NotificationStore::FindSuppression(const std::string& email) {
  std::optional<SuppressionEntry> found;
  sql::Params params;
  const std::string sql = absl::StrCat(
      "SELECT ", kSuppressionColumns, " FROM suppressions WHERE address_hash",
      AddressIn(params, email), " ORDER BY create_us DESC LIMIT 1");
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        found.reset();
        ASSIGN_OR_RETURN(sql::ResultSet rows, tx.Query(sql, params));
        if (!rows.empty()) {
          ASSIGN_OR_RETURN(found, DecodeSuppression(rows, 0));
        }
        return absl::OkStatus();
      }));
  return found;
}

}  // namespace training::notification

#ifndef TRAINING_SERVICES_BOOKING_STORE_SQL_H_
#define TRAINING_SERVICES_BOOKING_STORE_SQL_H_

// BookingStore over common/sql (SQLite or PostgreSQL).

#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "services/booking/store.h"

namespace training::booking {

// The stream booking events are published on.
inline constexpr char kBookingStream[] = "training.events.booking";

// The booking service's tables (component "booking").
std::vector<sql::Migration> BookingMigrations();

// The first `limit` entries waiting for `session` (its own, then the
// course's any-date entries), in seq order. Exposed so that tests can
// check the plan PostgreSQL keeps for it.
sql::Statement HeadOfWaitlistStatement(
    sql::Engine engine, const SessionInventory& session, int limit,
    int64_t after_seq = 0,
    const std::optional<std::set<AgencyType>>& agency_types = std::nullopt);

class SqlBookingStore final : public BookingStore {
 public:
  // Applies the booking and outbox migrations. `db` is not owned.
  static absl::StatusOr<std::unique_ptr<SqlBookingStore>> Open(
      sql::Database* db);

  // A BookingTransaction over a transaction someone else owns (the event
  // consumer's, which also records the event as processed).
  static std::unique_ptr<BookingTransaction> Wrap(sql::Transaction& tx);

  // BookingStore:
  absl::Status Run(
      Mode mode,
      const std::function<absl::Status(BookingTransaction&)>& body) override;
  absl::Status ScrubFreedSpace() override;

  sql::Database* database() { return db_; }

 private:
  explicit SqlBookingStore(sql::Database* db) : db_(db) {}

  sql::Database* db_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_STORE_SQL_H_

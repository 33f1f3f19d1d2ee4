#ifndef TRAINING_SERVICES_CATALOGUE_STORE_SQL_H_
#define TRAINING_SERVICES_CATALOGUE_STORE_SQL_H_

// CatalogueStore over common/sql (SQLite or PostgreSQL). Each resource is a
// row of the columns it is filtered and ordered by plus its serialized
// proto; events go to the outbox of common/events in the same transaction.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "services/catalogue/store.h"

namespace training::catalogue {

// The stream catalogue events are published on.
inline constexpr char kCatalogueStream[] = "training.events.catalogue";

// The catalogue's tables (component "catalogue"); the outbox tables are
// component "events".
std::vector<sql::Migration> CatalogueMigrations();

class SqlCatalogueStore final : public CatalogueStore {
 public:
  // Applies the catalogue's and the outbox's migrations. `db` is not owned
  // and must outlive the store.
  static absl::StatusOr<std::unique_ptr<SqlCatalogueStore>> Open(
      sql::Database* db);

  // CatalogueStore:
  absl::Status Run(
      Mode mode,
      const std::function<absl::Status(CatalogueTransaction&)>& body) override;

 private:
  explicit SqlCatalogueStore(sql::Database* db) : db_(db) {}

  sql::Database* db_;
};

}  // namespace training::catalogue

#endif  // TRAINING_SERVICES_CATALOGUE_STORE_SQL_H_

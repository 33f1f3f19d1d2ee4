#ifndef TRAINING_SERVICES_CONTENT_STORE_SQL_H_
#define TRAINING_SERVICES_CONTENT_STORE_SQL_H_

// ContentStore over common/sql (SQLite or PostgreSQL): articles, their
// revisions, the course links, the search index (store_search.h) and the
// outbox of common/events, all in the same transaction.

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "services/content/store.h"

namespace training::content {

// The stream content events are published on.
inline constexpr char kContentStream[] = "training.events.content";

// The content service's tables (component "content"); the outbox tables
// are component "events".
std::vector<sql::Migration> ContentMigrations();

class SqlContentStore final : public ContentStore {
 public:
  // Applies the content and outbox migrations. `db` is not owned and must
  // outlive the store.
  static absl::StatusOr<std::unique_ptr<SqlContentStore>> Open(
      sql::Database* db);

  // ContentStore:
  absl::Status Run(
      Mode mode,
      const std::function<absl::Status(ContentTransaction&)>& body) override;

 private:
  explicit SqlContentStore(sql::Database* db) : db_(db) {}

  sql::Database* db_;
};

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_STORE_SQL_H_

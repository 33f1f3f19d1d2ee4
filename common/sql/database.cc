#include "common/sql/database.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/metrics/metrics.h"
#include "common/sql/pool_metrics.h"
#include "common/sql/postgres_database.h"
#include "common/sql/sqlite_database.h"
#include "common/status/errors.h"
#include "common/status_macros.h"

namespace training::sql {
namespace {

// Reads one of the suite's own URL parameters as a positive integer.
absl::Status TakeInt(std::map<std::string, std::string>& params,
                     const std::string& name, int min, int* out) {
  auto it = params.find(name);
  if (it == params.end()) return absl::OkStatus();
  int value = 0;
  if (!absl::SimpleAtoi(it->second, &value) || value < min) {
    return absl::InvalidArgumentError(absl::StrCat(
        "database URL: ", name, " must be an integer of at least ", min));
  }
  *out = value;
  params.erase(it);
  return absl::OkStatus();
}

absl::Status TakeMillis(std::map<std::string, std::string>& params,
                        const std::string& name, int min, absl::Duration* out) {
  int ms = -1;
  absl::Status status = TakeInt(params, name, min, &ms);
  if (status.ok() && ms >= 0) *out = absl::Milliseconds(ms);
  return status;
}

}  // namespace

namespace {

metrics::CounterFamily& AcquireTimeouts() {
  static metrics::CounterFamily& timeouts = []() -> metrics::CounterFamily& {
    auto& family = metrics::DefaultRegistry().Counter(
        "training_sql_acquire_timeouts_total",
        "Callers that found no database connection free in time.", {"engine"});
    family.Child({"sqlite"});
    family.Child({"postgres"});
    return family;
  }();
  return timeouts;
}

const char* EngineLabel(Engine engine) {
  return engine == Engine::kSqlite ? "sqlite" : "postgres";
}

}  // namespace

void RecordAcquireTimeout(Engine engine) {
  AcquireTimeouts().Add({EngineLabel(engine)});
}

void RecordAcquireWait(Engine engine, absl::Duration waited) {
  static auto& family = metrics::DefaultRegistry().Histogram(
      "training_sql_acquire_seconds", "Time waiting for a database connection.",
      {"engine"});
  family.Observe({EngineLabel(engine)}, absl::ToDoubleSeconds(waited));
}

void RecordQuery(Engine engine, absl::Duration took) {
  static auto& family = metrics::DefaultRegistry().Histogram(
      "training_sql_query_seconds", "SQL statement latency.", {"engine"});
  family.Observe({EngineLabel(engine)}, absl::ToDoubleSeconds(took));
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    absl::string_view url, DatabaseOptions options) {
  AcquireTimeouts();  // exported from zero, before the first timeout
  // The URL may hold a password: no message here repeats it.
  std::string base(url.substr(0, url.find('?')));
  std::map<std::string, std::string> params;
  if (size_t q = url.find('?'); q != absl::string_view::npos) {
    for (absl::string_view pair :
         absl::StrSplit(url.substr(q + 1), '&', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv =
          absl::StrSplit(pair, absl::MaxSplits('=', 1));
      params[kv.first] = kv.second;
    }
  }

  if (absl::StartsWith(base, "sqlite://")) {
    const std::string path = base.substr(strlen("sqlite://"));
    if (path.empty()) {
      return absl::InvalidArgumentError(
          "database URL: sqlite:// needs a file path");
    }
    absl::Status s = TakeInt(params, "readers", 1, &options.connections);
    if (s.ok())
      s = TakeMillis(params, "busy_timeout_ms", 0, &options.busy_timeout);
    if (s.ok())
      s = TakeMillis(params, "acquire_timeout_ms", 0, &options.acquire_timeout);
    if (!s.ok()) return s;
    if (!params.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("database URL: unknown sqlite parameter '",
                       params.begin()->first, "'"));
    }
    return OpenSqlite(path, options);
  }

  if (absl::StartsWith(base, "postgresql://") ||
      absl::StartsWith(base, "postgres://")) {
    absl::Status s = TakeInt(params, "pool_size", 1, &options.connections);
    if (s.ok())
      s = TakeMillis(params, "acquire_timeout_ms", 0, &options.acquire_timeout);
    if (s.ok()) {
      s = TakeMillis(params, "statement_timeout_ms", 0,
                     &options.statement_timeout);
    }
    if (s.ok())
      s = TakeMillis(params, "lock_timeout_ms", 0, &options.lock_timeout);
    // Unless given, the client waits for one statement a little longer
    // than the server lets it run, so that it hears the server's own
    // statement timeout rather than giving up first.
    if (options.statement_timeout > absl::ZeroDuration()) {
      options.call_timeout = std::max(
          options.call_timeout, options.statement_timeout + absl::Seconds(5));
    }
    if (s.ok())
      s = TakeMillis(params, "call_timeout_ms", 1, &options.call_timeout);
    if (!s.ok()) return s;
    // libpq's own options, with defaults that notice a dead peer. (try_emplace
    // rather than operator[]= dodges a GCC 12 -Wrestrict false positive on
    // std::string assignment.)
    params.try_emplace("connect_timeout", "5");
    params.try_emplace("keepalives", "1");
    params.try_emplace("keepalives_idle", "30");
    params.try_emplace("keepalives_interval", "10");
    params.try_emplace("keepalives_count", "3");
    params.try_emplace("tcp_user_timeout", "30000");
    // libpq's connect_timeout bounds PQconnectdb only; the engine opens
    // connections asynchronously and bounds them itself.
    int connect_seconds = 0;
    if (!absl::SimpleAtoi(params["connect_timeout"], &connect_seconds) ||
        connect_seconds < 1) {
      return absl::InvalidArgumentError(
          "database URL: connect_timeout must be a whole number of seconds, "
          "at least 1");
    }
    options.connect_timeout = absl::Seconds(connect_seconds);
    std::vector<std::string> rest;
    for (const auto& [k, v] : params) rest.push_back(absl::StrCat(k, "=", v));
    return OpenPostgres(absl::StrCat(base, "?", absl::StrJoin(rest, "&")),
                        options);
  }

  return absl::InvalidArgumentError(
      "database URL: must start with sqlite:// or postgresql://");
}

absl::StatusOr<std::vector<ResultSet>> Transaction::QueryAll(
    const std::vector<Statement>& statements) {
  std::vector<ResultSet> results;
  results.reserve(statements.size());
  for (const Statement& statement : statements) {
    auto rows = statement.for_update
                    ? QueryForUpdate(statement.sql, statement.params)
                    : Query(statement.sql, statement.params);
    if (!rows.ok()) return rows.status();
    results.push_back(*std::move(rows));
  }
  return results;
}

namespace {

// Multi-row INSERTs of `rows`, as many per statement as SQLite binds (at
// most 32,766 parameters), each ending with `suffix`; with the range of
// rows each covers.
struct RowsInsert {
  Statement statement;
  size_t first, end;
};
absl::StatusOr<std::vector<RowsInsert>> MultiRowInserts(
    absl::string_view table, absl::string_view columns,
    const std::vector<Params>& rows, absl::string_view suffix) {
  RETURN_IF_ERROR(CheckBulkRows(columns, rows));
  std::vector<RowsInsert> inserts;
  const size_t per_row = rows.empty() ? 1 : rows[0].size();
  const size_t rows_per_statement = std::max<size_t>(1, 30000 / per_row);
  for (size_t first = 0; first < rows.size(); first += rows_per_statement) {
    RowsInsert insert{
        {}, first, std::min(rows.size(), first + rows_per_statement)};
    std::string& sql = insert.statement.sql;
    Params& params = insert.statement.params;
    sql = absl::StrCat("INSERT INTO ", table, " (", columns, ") VALUES ");
    params.reserve((insert.end - first) * per_row);
    for (size_t r = first; r < insert.end; ++r) {
      absl::StrAppend(&sql, r == first ? "(" : ", (");
      for (size_t c = 0; c < per_row; ++c) {
        if (std::holds_alternative<Blob>(rows[r][c])) {
          return absl::InvalidArgumentError("sql: no blobs in a bulk insert");
        }
        absl::StrAppend(&sql, c == 0 ? "" : ", ", AddParam(params, rows[r][c]));
      }
      sql.push_back(')');
    }
    absl::StrAppend(&sql, suffix);
    inserts.push_back(std::move(insert));
  }
  return inserts;
}

}  // namespace

absl::Status Transaction::BulkInsert(absl::string_view table,
                                     absl::string_view columns,
                                     const std::vector<Params>& rows) {
  ASSIGN_OR_RETURN(std::vector<RowsInsert> inserts,
                   MultiRowInserts(table, columns, rows, ""));
  for (const RowsInsert& insert : inserts) {
    RETURN_IF_ERROR(
        Execute(insert.statement.sql, insert.statement.params).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> Transaction::InsertNumbered(
    absl::string_view table, absl::string_view columns,
    std::vector<Params> rows, absl::string_view number_column,
    absl::string_view /*sequence*/) {
  const std::string key_column(
      absl::StripAsciiWhitespace(columns.substr(0, columns.find(','))));
  // RETURNING keeps no promised order: matched back by key.
  ASSIGN_OR_RETURN(
      std::vector<RowsInsert> inserts,
      MultiRowInserts(table, columns, rows,
                      absl::StrCat(" RETURNING ", key_column, " AS k, ",
                                   number_column, " AS n")));
  std::vector<int64_t> numbers;
  numbers.reserve(rows.size());
  for (const RowsInsert& insert : inserts) {
    ASSIGN_OR_RETURN(ResultSet inserted,
                     Query(insert.statement.sql, insert.statement.params));
    absl::flat_hash_map<std::string, int64_t> by_key;
    for (size_t i = 0; i < inserted.size(); ++i) {
      ASSIGN_OR_RETURN(std::string key, inserted.GetString(i, "k"));
      ASSIGN_OR_RETURN(by_key[key], inserted.GetInt64(i, "n"));
    }
    for (size_t r = insert.first; r < insert.end; ++r) {
      const std::string* key = std::get_if<std::string>(&rows[r][0]);
      auto found = key == nullptr ? by_key.end() : by_key.find(*key);
      if (found == by_key.end()) {
        return absl::InternalError(
            absl::StrCat(table, ": an inserted row's number is missing"));
      }
      numbers.push_back(found->second);
    }
  }
  return numbers;
}

absl::Status CheckBulkRows(absl::string_view columns,
                           const std::vector<Params>& rows) {
  const size_t count =
      1 + static_cast<size_t>(std::count(columns.begin(), columns.end(), ','));
  for (const Params& row : rows) {
    if (row.size() != count) {
      return absl::InvalidArgumentError(
          absl::StrCat("sql: bulk insert: a row of ", row.size(),
                       " values for ", count, " columns"));
    }
  }
  return absl::OkStatus();
}

absl::Status RunInTransaction(
    Database& db, TxMode mode,
    const std::function<absl::Status(Transaction&)>& body, int max_attempts) {
  thread_local std::minstd_rand random(std::random_device{}());
  absl::Status last;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    auto tx = db.Begin(mode);
    if (!tx.ok()) {
      last = tx.status();
    } else {
      last = body(**tx);
      if (last.ok()) last = (*tx)->Commit();
    }
    // Only a conflict is worth another attempt: a domain refusal that
    // happens to be ABORTED (a stale etag) would be refused again.
    if (!IsTransactionConflict(last)) return last;
    // Back off 1–2, 2–4, 4–8 … ms so that contenders stop colliding.
    const int base_ms = 1 << std::min(attempt - 1, 6);
    absl::SleepFor(
        absl::Milliseconds(base_ms + static_cast<int>(random() % base_ms)));
  }
  return last;
}

}  // namespace training::sql

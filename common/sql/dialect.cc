#include "common/sql/dialect.h"

#include "absl/strings/str_cat.h"

namespace training::sql {

absl::string_view Fence(Engine engine) {
  return engine == Engine::kPostgres ? " OFFSET 0" : " LIMIT -1 OFFSET 0";
}

std::string Bytewise(Engine engine, absl::string_view expression) {
  return engine == Engine::kPostgres
             ? absl::StrCat(expression, " COLLATE \"C\"")
             : std::string(expression);
}

Statement LookUpMany(Engine engine, const LookUp& lookup,
                     const std::vector<std::string>& keys) {
  Statement statement;
  statement.params = lookup.params;
  const std::string also =
      lookup.condition.empty() ? "" : absl::StrCat(" AND ", lookup.condition);
  if (engine == Engine::kPostgres) {
    // Arrays of text always have a literal (only blobs have none).
    const std::string array =
        *ArrayLiteral(std::vector<Value>(keys.begin(), keys.end()));
    statement.sql = absl::StrCat(
        "SELECT found.* FROM unnest(", AddParam(statement.params, array),
        "::text[]) AS asked(k) CROSS JOIN LATERAL (SELECT ", lookup.columns,
        " FROM ", lookup.table, " WHERE ", lookup.table, ".", lookup.key_column,
        " = asked.k", also, " LIMIT 1) AS found");
    return statement;
  }
  std::string values;
  for (size_t i = 0; i < keys.size(); ++i) {
    absl::StrAppend(&values, i == 0 ? "(" : ", (",
                    AddParam(statement.params, keys[i]), ")");
  }
  statement.sql = absl::StrCat(
      "SELECT ", lookup.columns, " FROM (VALUES ", values, ") AS asked JOIN ",
      lookup.table, " ON ", lookup.table, ".", lookup.key_column,
      " = asked.column1", also.empty() ? "" : " WHERE 1 = 1", also);
  return statement;
}

}  // namespace training::sql

#include "common/sql/postgres_values.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace training::sql::postgres {
namespace {

// Type OIDs (pg_type.h), for typed results.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

Value ConvertValue(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return std::monostate{};
  const char* text = PQgetvalue(result, row, column);
  const int length = PQgetlength(result, row, column);
  switch (PQftype(result, column)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      int64_t n = 0;
      if (absl::SimpleAtoi(absl::string_view(text, length), &n)) return n;
      return std::string(text, length);
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
      double d = 0;
      if (absl::SimpleAtod(absl::string_view(text, length), &d)) return d;
      return std::string(text, length);
    }
    case kBoolOid:
      return static_cast<int64_t>(text[0] == 't' ? 1 : 0);
    case kByteaOid: {
      size_t size = 0;
      unsigned char* bytes =
          PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &size);
      Blob blob{std::string(reinterpret_cast<char*>(bytes), size)};
      PQfreemem(bytes);
      return blob;
    }
    default:
      return std::string(text, length);
  }
}

}  // namespace

BoundParams::BoundParams(const Params& params) {
  numbers.reserve(params.size());  // never moves: values point into it
  values.reserve(params.size());
  lengths.reserve(params.size());
  formats.reserve(params.size());
  for (const Value& v : params) {
    const std::string* text = nullptr;
    int format = 0;
    if (std::holds_alternative<std::monostate>(v)) {
      values.push_back(nullptr);
      lengths.push_back(0);
      formats.push_back(0);
      continue;
    } else if (const int64_t* n = std::get_if<int64_t>(&v)) {
      text = &numbers.emplace_back(absl::StrCat(*n));
    } else if (const double* d = std::get_if<double>(&v)) {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.17g", *d);
      text = &numbers.emplace_back(buffer);
    } else if (const std::string* s = std::get_if<std::string>(&v)) {
      text = s;
    } else {
      text = &std::get<Blob>(v).bytes;
      format = 1;
    }
    values.push_back(text->data());
    lengths.push_back(static_cast<int>(text->size()));
    formats.push_back(format);
  }
}

absl::Status StatusFromResult(PGconn* conn, const PGresult* result,
                              absl::string_view what) {
  const char* state =
      result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  std::string detail;
  if (absl::StartsWith(sqlstate, "22")) {
    // Data exceptions quote the offending value: name the column only.
    const char* column = PQresultErrorField(result, PG_DIAG_COLUMN_NAME);
    detail = absl::StrCat("invalid value",
                          column ? absl::StrCat(" for ", column) : "");
  } else if (const char* primary =
                 result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)
                        : nullptr) {
    detail = primary;
  } else {
    detail = "connection failed";
  }
  const std::string message =
      absl::StrCat("postgres: ", what, ": ", detail,
                   sqlstate.empty() ? "" : absl::StrCat(" (", sqlstate, ")"));
  if (sqlstate == "23505") return absl::AlreadyExistsError(message);
  if (absl::StartsWith(sqlstate, "23"))
    return absl::FailedPreconditionError(message);
  // A serialisation failure or deadlock is worth running the transaction
  // again; a lock timeout (55P03) already waited as long as it was told to.
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return TransactionConflictError(message);
  }
  if (sqlstate == "55P03") return absl::AbortedError(message);
  if (sqlstate == "57014") return absl::DeadlineExceededError(message);
  // A value the database refuses (too long, out of range, a NUL byte): the
  // request's fault, not the database's.
  if (absl::StartsWith(sqlstate, "22")) {
    return absl::InvalidArgumentError(message);
  }
  // The server cannot work now: no connection, shutting down, out of disk
  // or memory (53), an I/O error (58), its own internal error (XX).
  if (absl::StartsWith(sqlstate, "08") || absl::StartsWith(sqlstate, "57P") ||
      absl::StartsWith(sqlstate, "53") || absl::StartsWith(sqlstate, "58") ||
      absl::StartsWith(sqlstate, "XX") || PQstatus(conn) == CONNECTION_BAD) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

ResultSet ToResultSet(const PGresult* result) {
  std::vector<std::string> columns;
  const int ncols = PQnfields(result);
  for (int c = 0; c < ncols; ++c) columns.emplace_back(PQfname(result, c));
  std::vector<std::vector<Value>> rows;
  const int nrows = PQntuples(result);
  rows.reserve(nrows);
  for (int r = 0; r < nrows; ++r) {
    std::vector<Value> row;
    row.reserve(ncols);
    for (int c = 0; c < ncols; ++c) row.push_back(ConvertValue(result, r, c));
    rows.push_back(std::move(row));
  }
  return ResultSet(std::move(columns), std::move(rows));
}

}  // namespace training::sql::postgres

#include "common/sql/result.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace training::sql {

std::string AddParam(Params& params, Value value) {
  params.push_back(std::move(value));
  return absl::StrCat("$", params.size());
}

namespace {

// Appends a number's text (as PostgreSQL reads it back exactly) and says
// whether `value` was one.
bool AppendNumber(const Value& value, std::string& out) {
  if (const int64_t* n = std::get_if<int64_t>(&value)) {
    absl::StrAppend(&out, *n);
    return true;
  }
  if (const double* d = std::get_if<double>(&value)) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.17g", *d);
    out += buffer;
    return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::string> ArrayLiteral(const std::vector<Value>& values) {
  std::string array = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) array.push_back(',');
    const Value& value = values[i];
    if (std::holds_alternative<std::monostate>(value)) {
      array += "NULL";
    } else if (AppendNumber(value, array)) {
      // written
    } else if (const std::string* text = std::get_if<std::string>(&value)) {
      // Quoted, with quotes and backslashes escaped (array_in's rules).
      array.push_back('"');
      for (char c : *text) {
        if (c == '"' || c == '\\') array.push_back('\\');
        array.push_back(c);
      }
      array.push_back('"');
    } else {
      return absl::InvalidArgumentError("sql: no blobs in an array literal");
    }
  }
  array.push_back('}');
  return array;
}

absl::StatusOr<std::string> CopyText(const std::vector<Params>& rows) {
  std::string text;
  text.reserve(rows.size() * (rows.empty() ? 0 : 16 * rows[0].size()));
  for (const Params& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) text.push_back('\t');
      const Value& value = row[i];
      if (std::holds_alternative<std::monostate>(value)) {
        text += "\\N";
      } else if (AppendNumber(value, text)) {
        // written
      } else if (const std::string* s = std::get_if<std::string>(&value)) {
        // COPY reads a backslash as an escape and a tab, newline or
        // carriage return as the end of a value or row. Runs without one
        // are copied whole.
        size_t run = 0;  // where the run not yet copied starts
        for (size_t k = 0; k < s->size(); ++k) {
          const char c = (*s)[k];
          if (c != '\\' && c != '\t' && c != '\n' && c != '\r') continue;
          text.append(*s, run, k - run);
          text.push_back('\\');
          text.push_back(c == '\t'   ? 't'
                         : c == '\n' ? 'n'
                         : c == '\r' ? 'r'
                                     : c);
          run = k + 1;
        }
        text.append(*s, run, std::string::npos);
      } else {
        return absl::InvalidArgumentError("sql: no blobs in COPY text");
      }
    }
    text.push_back('\n');
  }
  return text;
}

namespace {

const char* TypeName(const Value& v) {
  switch (v.index()) {
    case 0:
      return "NULL";
    case 1:
      return "integer";
    case 2:
      return "real";
    case 3:
      return "text";
    case 4:
      return "blob";
  }
  return "unknown";
}

absl::Status Mismatch(absl::string_view column, const char* expected,
                      const Value& got) {
  return absl::FailedPreconditionError(absl::StrCat(
      "column '", column, "': expected ", expected, ", got ", TypeName(got)));
}

}  // namespace

absl::StatusOr<const Value*> ResultSet::Find(size_t row,
                                             absl::string_view column) const {
  if (row >= rows_.size()) {
    return absl::InternalError(
        absl::StrCat("row ", row, " out of range (", rows_.size(), " rows)"));
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i] == column) return &rows_[row][i];
  }
  return absl::InternalError(absl::StrCat("no column '", column, "'"));
}

absl::StatusOr<int64_t> ResultSet::GetInt64(size_t row,
                                            absl::string_view column) const {
  auto v = Find(row, column);
  if (!v.ok()) return v.status();
  if (const int64_t* i = std::get_if<int64_t>(*v)) return *i;
  return Mismatch(column, "integer", **v);
}

absl::StatusOr<double> ResultSet::GetDouble(size_t row,
                                            absl::string_view column) const {
  auto v = Find(row, column);
  if (!v.ok()) return v.status();
  if (const double* d = std::get_if<double>(*v)) return *d;
  // An integer column read as real is exact enough for our uses.
  if (const int64_t* i = std::get_if<int64_t>(*v))
    return static_cast<double>(*i);
  return Mismatch(column, "real", **v);
}

absl::StatusOr<std::string> ResultSet::GetString(
    size_t row, absl::string_view column) const {
  auto v = Find(row, column);
  if (!v.ok()) return v.status();
  if (const std::string* s = std::get_if<std::string>(*v)) return *s;
  return Mismatch(column, "text", **v);
}

absl::StatusOr<Blob> ResultSet::GetBlob(size_t row,
                                        absl::string_view column) const {
  auto v = Find(row, column);
  if (!v.ok()) return v.status();
  if (const Blob* b = std::get_if<Blob>(*v)) return *b;
  return Mismatch(column, "blob", **v);
}

absl::StatusOr<std::optional<int64_t>> ResultSet::GetOptionalInt64(
    size_t row, absl::string_view column) const {
  auto v = Find(row, column);
  if (!v.ok()) return v.status();
  if (std::holds_alternative<std::monostate>(**v)) return std::nullopt;
  if (const int64_t* i = std::get_if<int64_t>(*v)) return *i;
  return Mismatch(column, "integer or NULL", **v);
}

absl::StatusOr<std::optional<std::string>> ResultSet::GetOptionalString(
    size_t row, absl::string_view column) const {
  auto v = Find(row, column);
  if (!v.ok()) return v.status();
  if (std::holds_alternative<std::monostate>(**v)) return std::nullopt;
  if (const std::string* s = std::get_if<std::string>(*v)) return *s;
  return Mismatch(column, "text or NULL", **v);
}

absl::StatusOr<bool> ResultSet::IsNull(size_t row,
                                       absl::string_view column) const {
  auto v = Find(row, column);
  if (!v.ok()) return v.status();
  return std::holds_alternative<std::monostate>(**v);
}

}  // namespace training::sql

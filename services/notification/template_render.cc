#include "services/notification/template_render.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace training::notification {
namespace {

// One piece of a template: literal text, or a placeholder (with its
// conditional text when it has one).
struct Piece {
  std::string literal;
  std::string name;  // empty for literal text
  bool conditional = false;
  std::string shown;  // a conditional's text
};

bool IsNameCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
}

absl::StatusOr<std::vector<Piece>> Parse(absl::string_view text) {
  std::vector<Piece> pieces;
  std::string literal;
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find("((", at);
    if (open == absl::string_view::npos) {
      absl::StrAppend(&literal, text.substr(at));
      break;
    }
    absl::StrAppend(&literal, text.substr(at, open - at));
    const size_t close = text.find("))", open + 2);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("placeholder at character ", open, ": not closed"));
    }
    absl::string_view inside = text.substr(open + 2, close - open - 2);
    Piece piece;
    const size_t ask = inside.find("??");
    absl::string_view name = inside.substr(0, ask);
    if (ask != absl::string_view::npos) {
      piece.conditional = true;
      piece.shown = std::string(inside.substr(ask + 2));
    }
    if (name.empty() ||
        !std::all_of(name.begin(), name.end(), IsNameCharacter)) {
      return absl::InvalidArgumentError(
          absl::StrCat("placeholder at character ", open,
                       ": a name is letters, digits and underscores"));
    }
    piece.name = std::string(name);
    if (!literal.empty()) {
      pieces.push_back({std::move(literal), "", false, ""});
      literal.clear();
    }
    pieces.push_back(std::move(piece));
    at = close + 2;
  }
  if (!literal.empty()) pieces.push_back({std::move(literal), "", false, ""});
  return pieces;
}

}  // namespace

absl::StatusOr<std::set<std::string>> PlaceholdersOf(absl::string_view text) {
  absl::StatusOr<std::vector<Piece>> pieces = Parse(text);
  if (!pieces.ok()) return pieces.status();
  std::set<std::string> names;
  for (const Piece& piece : *pieces) {
    if (!piece.name.empty()) names.insert(piece.name);
  }
  return names;
}

absl::StatusOr<std::vector<std::string>> PlaceholdersInOrder(
    absl::string_view text) {
  absl::StatusOr<std::vector<Piece>> pieces = Parse(text);
  if (!pieces.ok()) return pieces.status();
  std::vector<std::string> names;
  for (const Piece& piece : *pieces) {
    if (!piece.name.empty() &&
        std::find(names.begin(), names.end(), piece.name) == names.end()) {
      names.push_back(piece.name);
    }
  }
  return names;
}

absl::Status CheckPlaceholders(absl::string_view text,
                               const std::set<std::string>& known) {
  absl::StatusOr<std::set<std::string>> names = PlaceholdersOf(text);
  if (!names.ok()) return names.status();
  std::vector<std::string> unknown;
  for (const std::string& name : *names) {
    if (known.count(name) == 0) unknown.push_back(name);
  }
  if (unknown.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("unknown placeholders: ", absl::StrJoin(unknown, ", "),
                   "; this message has ", absl::StrJoin(known, ", ")));
}

absl::StatusOr<std::string> RenderTemplate(
    absl::string_view text, const std::map<std::string, std::string>& values,
    TemplateFormat format) {
  absl::StatusOr<std::vector<Piece>> pieces = Parse(text);
  if (!pieces.ok()) return pieces.status();
  const bool html = format == TemplateFormat::kHtml;
  std::string out;
  for (const Piece& piece : *pieces) {
    if (piece.name.empty()) {
      out += piece.literal;  // the template's own text, trusted
      continue;
    }
    auto value = values.find(piece.name);
    if (value == values.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("((", piece.name, ")): no value"));
    }
    if (!piece.conditional) {
      out += html ? HtmlEscape(value->second) : value->second;
      continue;
    }
    const std::string flag = absl::AsciiStrToLower(value->second);
    if (flag == "yes" || flag == "true") {
      out += piece.shown;
    } else if (flag != "no" && flag != "false" && !flag.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("((", piece.name, "??…)): the value must be yes or no"));
    }
  }
  return out;
}

}  // namespace training::notification

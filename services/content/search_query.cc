#include "services/content/search_query.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/text/text.h"

namespace training::content {
namespace {

// Decodes the UTF-8 code point at `text[i]` (the text is valid UTF-8: a
// protobuf string) and advances `i` past it.
char32_t NextCodePoint(absl::string_view text, size_t& i) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  int extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
  char32_t cp = extra == 0   ? c
                : extra == 1 ? c & 0x1F
                : extra == 2 ? c & 0x0F
                             : c & 0x07;
  ++i;
  for (; extra > 0 && i < text.size(); --extra, ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(text[i]) & 0x3F);
  }
  return cp;
}

// Letters and digits make words. Beyond ASCII, everything but the
// punctuation and space blocks counts as a letter, which is what both
// engines' tokenizers do with the scripts articles are written in.
bool IsWordCodePoint(char32_t cp) {
  if (cp < 0x80) return absl::ascii_isalnum(static_cast<unsigned char>(cp));
  if (cp <= 0xBF) return false;                    // Latin-1 punctuation
  if (cp == 0xD7 || cp == 0xF7) return false;      // × ÷
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // punctuation, symbols
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  if (cp >= 0xFE30 && cp <= 0xFE6F) return false;  // compatibility forms
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;  // full-width punctuation
  return cp != 0xFEFF;
}

// The Snowball English stop words PostgreSQL's english configuration drops.
bool IsStopWord(absl::string_view word) {
  static const auto* const kStopWords = new absl::flat_hash_set<std::string>{
      "i",          "me",        "my",      "myself", "we",         "our",
      "ours",       "ourselves", "you",     "your",   "yours",      "yourself",
      "yourselves", "he",        "him",     "his",    "himself",    "she",
      "her",        "hers",      "herself", "it",     "its",        "itself",
      "they",       "them",      "their",   "theirs", "themselves", "what",
      "which",      "who",       "whom",    "this",   "that",       "these",
      "those",      "am",        "is",      "are",    "was",        "were",
      "be",         "been",      "being",   "have",   "has",        "had",
      "having",     "do",        "does",    "did",    "doing",      "a",
      "an",         "the",       "and",     "but",    "if",         "or",
      "because",    "as",        "until",   "while",  "of",         "at",
      "by",         "for",       "with",    "about",  "against",    "between",
      "into",       "through",   "during",  "before", "after",      "above",
      "below",      "to",        "from",    "up",     "down",       "in",
      "out",        "on",        "off",     "over",   "under",      "again",
      "further",    "then",      "once",    "here",   "there",      "when",
      "where",      "why",       "how",     "all",    "any",        "both",
      "each",       "few",       "more",    "most",   "other",      "some",
      "such",       "no",        "nor",     "not",    "only",       "own",
      "same",       "so",        "than",    "too",    "very",       "s",
      "t",          "can",       "will",    "just",   "don",        "should",
      "now"};
  return kStopWords->contains(word);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseSearchQuery(
    absl::string_view query) {
  const size_t length = text::Utf8Length(query);
  if (length == 0 || length > kMaxQueryLength) {
    return InvalidArgumentError(
        {{"query",
          absl::StrCat("must be 1 to ", kMaxQueryLength, " characters")}});
  }
  std::vector<std::string> words;
  std::string word;
  for (size_t i = 0; i < query.size();) {
    const size_t start = i;
    const char32_t cp = NextCodePoint(query, i);
    if (IsWordCodePoint(cp)) {
      if (cp < 0x80) {
        word.push_back(absl::ascii_tolower(static_cast<unsigned char>(cp)));
      } else {
        word.append(query.data() + start, i - start);
      }
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  const bool had_words = !words.empty();
  if (words.size() > kMaxQueryWords) {
    return InvalidArgumentError(
        {{"query",
          absl::StrCat("must be at most ", kMaxQueryWords, " words")}});
  }
  std::erase_if(words, [](const std::string& w) { return IsStopWord(w); });
  if (!had_words) {
    return InvalidArgumentError(
        {{"query", "must contain a word of letters or digits"}});
  }
  return words;
}

// Words hold letters and digits only, so no quote can end a quoted string
// early on either engine.
std::string Fts5MatchQuery(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : " ", "\"", words[i], "\"",
                    i + 1 == words.size() ? "*" : "");
  }
  return out;
}

std::string PostgresTsQuery(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : " & ", "'", words[i], "'",
                    i + 1 == words.size() ? ":*" : "");
  }
  return out;
}

}  // namespace training::content

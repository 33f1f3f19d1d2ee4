#ifndef TRAINING_SERVICES_CONTENT_SEARCH_QUERY_H_
#define TRAINING_SERVICES_CONTENT_SEARCH_QUERY_H_

// A search query as the contract offers it: words, every one of which must
// match, the last also as a prefix. Nothing else a search engine would read
// in the text (quotes, AND/OR/NOT/NEAR, `*`, `:`, `&`, `!`, brackets,
// column filters) has any meaning: the query is cut into words of letters
// and digits, and each engine is handed those words quoted, so that no
// input can reach its query syntax.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace training::content {

inline constexpr size_t kMaxQueryLength = 200;
inline constexpr size_t kMaxQueryWords = 20;

// The query's words, lower-cased (ASCII), in order, without English stop
// words ("the", "is": PostgreSQL's english configuration drops them, so
// SQLite is not asked for them either, and both engines answer alike).
// Letters and digits of any script make words; everything else separates
// them. Only stop words: no words, which finds nothing. INVALID_ARGUMENT
// on `query` when it is empty, longer than kMaxQueryLength characters, has
// no word, or more than kMaxQueryWords words.
absl::StatusOr<std::vector<std::string>> ParseSearchQuery(
    absl::string_view query);

// Both engines match stems: "interviewing" finds "interview", and the last
// word is a prefix of a stem ("motiv" finds "motivational"), so a word
// typed only partly past its stem ("interviewin") finds nothing until it
// is whole.

// For SQLite FTS5 MATCH: `"w1" "w2"*` (each a quoted string, so no operator
// is read; the last a prefix query).
std::string Fts5MatchQuery(const std::vector<std::string>& words);

// For PostgreSQL to_tsquery: `'w1' & 'w2':*`.
std::string PostgresTsQuery(const std::vector<std::string>& words);

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_SEARCH_QUERY_H_

#ifndef TRAINING_SERVICES_CONTENT_STORE_SEARCH_H_
#define TRAINING_SERVICES_CONTENT_STORE_SEARCH_H_

// The SQL of the article lists and the search index, for SqlContentStore.
// The index is the one place the engines differ in kind, not spelling:
// SQLite has an FTS5 table (porter stemming over unicode61 tokens) ranked
// by bm25; PostgreSQL a tsvector column (english configuration) with a GIN
// index ranked by ts_rank. Title, summary and body weigh 10 : 4 : 1 on
// SQLite, and A : B : D (1.0 : 0.4 : 0.1) on PostgreSQL.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/sql/database.h"
#include "services/content/store.h"

namespace training::content {

// The DDL of the search index, per engine.
sql::SqlText SearchIndexDdl();

// Puts the current text of the article numbered `seq` into the index,
// replacing what was there. `[` and `]` in the text become `(` and `)`, so
// that in snippets they mark matches only.
absl::Status IndexArticle(sql::Transaction& tx, int64_t seq,
                          const v1::ArticleRevision& text,
                          const std::string& plain_text);

// Appends the conditions of `visibility` and `filters` on the articles
// table (alias `a`) to `sql`.
void AppendArticleConditions(std::string& sql, sql::Params& params,
                             const Visibility& visibility,
                             const ArticleFilters& filters);

// `text` with `[` and `]` made `(` and `)`.
std::string WithoutMarkers(std::string text);

// The search, returning columns `resource` (listed form), `score`,
// `snippet` and `heading_snippet`, most relevant first. SQLite's snippet
// comes from the column that matched best; PostgreSQL gives one of the
// body and one of title and summary (ChooseSnippet picks).
sql::Statement SearchStatement(sql::Engine engine, const SearchQuery& query);

// The snippet to show: the body's when it marks a match, else the
// heading's when that does; then as ClipSnippet.
std::string ChooseSnippet(std::string body, std::string heading);

// A snippet as the contract has it: on one line (every run of white space,
// the newlines between blocks included, one space), cut to 300
// characters with its brackets kept balanced.
std::string ClipSnippet(std::string snippet);

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_STORE_SEARCH_H_

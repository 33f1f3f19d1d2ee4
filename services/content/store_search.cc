#include "services/content/store_search.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/content/search_query.h"

namespace training::content {
namespace {

constexpr size_t kMaxSnippetLength = 300;

// LIKE pattern matching `|tag|` anywhere, wildcards escaped.
std::string TagPattern(absl::string_view tag) {
  std::string out = "%|";
  for (char c : tag) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out += "|%";
  return out;
}

std::string LinkedTo(sql::Params& params, const std::string& course) {
  return absl::StrCat(
      "EXISTS (SELECT 1 FROM article_courses c WHERE c.article = a.name "
      "AND c.course = ",
      sql::AddParam(params, course), ")");
}

}  // namespace

std::string WithoutMarkers(std::string text) {
  for (char& c : text) {
    if (c == '[') c = '(';
    if (c == ']') c = ')';
  }
  return text;
}

sql::SqlText SearchIndexDdl() {
  return {.sqlite =
              "CREATE VIRTUAL TABLE article_search USING fts5("
              "title, summary, body, tokenize = 'porter unicode61', "
              "prefix = '2 3');",
          .postgres =
              "CREATE TABLE article_search ("
              "seq BIGINT PRIMARY KEY, document tsvector NOT NULL, "
              "body TEXT NOT NULL);"
              "CREATE INDEX article_search_document ON article_search "
              "USING GIN (document);"};
}

absl::Status IndexArticle(sql::Transaction& tx, int64_t seq,
                          const v1::ArticleRevision& revision,
                          const std::string& plain_text) {
  const std::string title = WithoutMarkers(revision.title());
  const std::string summary = WithoutMarkers(revision.summary());
  const std::string body = WithoutMarkers(plain_text);
  if (tx.engine() == sql::Engine::kSqlite) {
    // FTS5 has no upsert: the old entry goes first.
    auto deleted =
        tx.Execute("DELETE FROM article_search WHERE rowid = $1", {seq});
    if (!deleted.ok()) return deleted.status();
    return tx
        .Execute(
            "INSERT INTO article_search (rowid, title, summary, body) "
            "VALUES ($1, $2, $3, $4)",
            {seq, title, summary, body})
        .status();
  }
  return tx
      .Execute(
          "INSERT INTO article_search (seq, document, body, heading) "
          "VALUES ($1, "
          "setweight(to_tsvector('english', $2::text), 'A') || "
          "setweight(to_tsvector('english', $3::text), 'B') || "
          "setweight(to_tsvector('english', $4::text), 'D'), $4::text, "
          "$5::text) ON CONFLICT (seq) DO UPDATE SET "
          "document = excluded.document, body = excluded.body, "
          "heading = excluded.heading",
          {seq, title, summary, body, absl::StrCat(title, ": ", summary)})
      .status();
}

void AppendArticleConditions(std::string& sql, sql::Params& params,
                             const Visibility& visibility,
                             const ArticleFilters& filters) {
  if (!visibility.unpublished) {
    absl::StrAppend(&sql, " AND a.state = ",
                    sql::AddParam(params, int64_t{v1::Article::PUBLISHED}));
  }
  if (!visibility.all_audiences) {
    absl::StrAppend(&sql, " AND (a.audience = ",
                    sql::AddParam(params, int64_t{v1::Article::PUBLIC}));
    if (!visibility.opened_course.empty() &&
        !visibility.opened_audiences.empty()) {
      std::vector<std::string> opened;
      for (v1::Article::Audience audience : visibility.opened_audiences) {
        opened.push_back(sql::AddParam(params, int64_t{audience}));
      }
      absl::StrAppend(&sql, " OR (a.audience IN (", absl::StrJoin(opened, ", "),
                      ") AND ", LinkedTo(params, visibility.opened_course),
                      ")");
    }
    sql += ")";
  }
  if (filters.kind != v1::Article::KIND_UNSPECIFIED) {
    absl::StrAppend(
        &sql, " AND a.kind = ", sql::AddParam(params, int64_t{filters.kind}));
  }
  if (!filters.tag.empty()) {
    absl::StrAppend(&sql, " AND a.tags LIKE ",
                    sql::AddParam(params, TagPattern(filters.tag)),
                    " ESCAPE '\\'");
  }
  if (!filters.course.empty()) {
    absl::StrAppend(&sql, " AND ", LinkedTo(params, filters.course));
  }
}

sql::Statement SearchStatement(sql::Engine engine, const SearchQuery& query) {
  sql::Statement statement;
  sql::Params& params = statement.params;
  std::string conditions;
  if (engine == sql::Engine::kSqlite) {
    const std::string match =
        sql::AddParam(params, Fts5MatchQuery(query.words));
    AppendArticleConditions(conditions, params, query.visibility,
                            query.filters);
    statement.sql = absl::StrCat(
        "SELECT a.resource AS resource, "
        "-bm25(article_search, 10.0, 4.0, 1.0) AS score, "
        "snippet(article_search, -1, '[', ']', '…', 24) AS snippet, "
        "'' AS heading_snippet "
        "FROM article_search JOIN articles a ON a.seq = article_search.rowid "
        "WHERE article_search MATCH ",
        match, conditions, " ORDER BY score DESC, a.seq LIMIT ",
        sql::AddParam(params, int64_t{query.limit}), " OFFSET ",
        sql::AddParam(params, int64_t{query.offset}));
    return statement;
  }
  const std::string tsquery =
      sql::AddParam(params, PostgresTsQuery(query.words));
  AppendArticleConditions(conditions, params, query.visibility, query.filters);
  // The headline is made for the page's rows only: in the inner query it
  // would be made for every match before the sort.
  statement.sql = absl::StrCat(
      "SELECT h.resource AS resource, h.score AS score, "
      "ts_headline('english', h.body, to_tsquery('english', ",
      tsquery,
      "::text), 'StartSel=[, StopSel=], MaxWords=30, MinWords=12, "
      "MaxFragments=1, FragmentDelimiter=\" … \"') AS snippet, "
      "ts_headline('english', h.heading, to_tsquery('english', ",
      tsquery,
      "::text), 'StartSel=[, StopSel=], HighlightAll=true') "
      "AS heading_snippet FROM ("
      "SELECT a.resource, a.seq, s.body, s.heading, "
      "ts_rank(s.document, to_tsquery('english', ",
      tsquery,
      "::text))::float8 AS score FROM article_search s "
      "JOIN articles a ON a.seq = s.seq "
      "WHERE s.document @@ to_tsquery('english', ",
      tsquery, "::text)", conditions, " ORDER BY score DESC, a.seq LIMIT ",
      sql::AddParam(params, int64_t{query.limit}), " OFFSET ",
      sql::AddParam(params, int64_t{query.offset}),
      ") h ORDER BY h.score DESC, h.seq");
  return statement;
}

std::string ChooseSnippet(std::string body, std::string heading) {
  const bool body_marks = body.find('[') != std::string::npos;
  const bool heading_marks = heading.find('[') != std::string::npos;
  return ClipSnippet(!body_marks && heading_marks ? std::move(heading)
                                                  : std::move(body));
}

std::string ClipSnippet(std::string raw) {
  std::string snippet;
  snippet.reserve(raw.size());
  for (char c : raw) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      if (!snippet.empty() && snippet.back() != ' ') snippet.push_back(' ');
    } else {
      snippet.push_back(c);
    }
  }
  while (!snippet.empty() && snippet.back() == ' ') snippet.pop_back();
  size_t characters = 0;
  size_t cut = std::string::npos;
  for (size_t i = 0; i < snippet.size(); ++i) {
    if ((static_cast<unsigned char>(snippet[i]) & 0xC0) == 0x80) continue;
    if (++characters > kMaxSnippetLength - 1) {
      cut = i;
      break;
    }
  }
  if (cut == std::string::npos) return snippet;
  // Cut at the last space before the limit, then mark the cut.
  size_t space = snippet.rfind(' ', cut);
  snippet.resize(space == std::string::npos || space == 0 ? cut : space);
  const auto opens = std::count(snippet.begin(), snippet.end(), '[');
  const auto closes = std::count(snippet.begin(), snippet.end(), ']');
  if (opens > closes) snippet.resize(snippet.rfind('['));
  return snippet + "…";
}

}  // namespace training::content

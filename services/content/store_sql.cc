#include "services/content/store_sql.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/events/outbox.h"
#include "common/requests/request_records.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/content/article_rules.h"
#include "services/content/store_search.h"

namespace training::content {
namespace {

using sql::Blob;
using sql::Params;
using sql::ResultSet;

// Lists sort by title without regard to case.
std::string TitleKey(const v1::Article& article) {
  return absl::AsciiStrToLower(article.title());
}

// `tags` as `|a|b|`, so that one tag is found with LIKE '%|tag|%'.
std::string TagColumn(const v1::Article& article) {
  if (article.tags().empty()) return "";
  return absl::StrCat("|", absl::StrJoin(article.tags(), "|"), "|");
}

// When a row was written, by this process's clock: what other processes'
// caches look for (ArticleChangeWatcher), not a domain time.
int64_t ChangeStamp() { return absl::ToUnixMicros(absl::Now()); }

Blob ListedBlob(const v1::Article& article) {
  v1::Article listed = article;
  listed.clear_body_markdown();
  listed.clear_body_html();
  return Blob{listed.SerializeAsString()};
}

absl::StatusOr<v1::Article> DecodeArticle(const ResultSet& rows, size_t row) {
  ASSIGN_OR_RETURN(Blob bytes, rows.GetBlob(row, "resource"));
  v1::Article article;
  if (!article.ParseFromString(bytes.bytes)) {
    return absl::DataLossError("content: stored article does not parse");
  }
  return article;
}

class SqlContentTransaction final : public ContentTransaction {
 public:
  explicit SqlContentTransaction(sql::Transaction& tx) : tx_(tx) {}

  // ContentTransaction:
  absl::StatusOr<std::optional<v1::Article>> FindArticle(
      const std::string& name, bool with_body, bool lock) override {
    const std::string sql = absl::StrCat(
        "SELECT resource", with_body ? ", body_markdown, body_html" : "",
        " FROM articles WHERE name = $1");
    ASSIGN_OR_RETURN(ResultSet rows, lock ? tx_.QueryForUpdate(sql, {name})
                                          : tx_.Query(sql, {name}));
    if (rows.empty()) return std::nullopt;
    ASSIGN_OR_RETURN(v1::Article article, DecodeArticle(rows, 0));
    if (with_body) {
      ASSIGN_OR_RETURN(*article.mutable_body_markdown(),
                       rows.GetString(0, "body_markdown"));
      ASSIGN_OR_RETURN(*article.mutable_body_html(),
                       rows.GetString(0, "body_html"));
    }
    return article;
  }

  absl::Status InsertArticle(const v1::Article& article,
                             const ArticleText& text) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query(
            "INSERT INTO articles (name, state, kind, audience, "
            "title_key, tags, resource, body_markdown, body_html, "
            "etag, changed_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
            "$9, $10, $11) RETURNING seq",
            {article.name(), int64_t{article.state()}, int64_t{article.kind()},
             int64_t{article.audience()}, TitleKey(article), TagColumn(article),
             ListedBlob(article), article.body_markdown(), article.body_html(),
             article.etag(), ChangeStamp()}));
    ASSIGN_OR_RETURN(int64_t seq, rows.GetInt64(0, "seq"));
    RETURN_IF_ERROR(ReplaceCourses(article));
    return KeepText(seq, article.name(), text);
  }

  absl::Status UpdateArticle(const v1::Article& article,
                             const ArticleText* text) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query(
            "UPDATE articles SET state = $2, kind = $3, audience = $4, "
            "title_key = $5, tags = $6, resource = $7, "
            "body_markdown = $8, body_html = $9, etag = $10, "
            "changed_us = $11 WHERE name = $1 RETURNING seq",
            {article.name(), int64_t{article.state()}, int64_t{article.kind()},
             int64_t{article.audience()}, TitleKey(article), TagColumn(article),
             ListedBlob(article), article.body_markdown(), article.body_html(),
             article.etag(), ChangeStamp()}));
    if (rows.empty()) return absl::NotFoundError("article: not found");
    ASSIGN_OR_RETURN(int64_t seq, rows.GetInt64(0, "seq"));
    RETURN_IF_ERROR(ReplaceCourses(article));
    if (text == nullptr) return absl::OkStatus();
    return KeepText(seq, article.name(), *text);
  }

  absl::StatusOr<std::vector<v1::Article>> ListArticles(
      const ArticleQuery& query) override {
    Params params;
    std::string sql = "SELECT a.resource FROM articles a WHERE 1 = 1";
    AppendArticleConditions(sql, params, query.visibility, query.filters);
    if (query.after) {
      const std::string key = sql::AddParam(params, query.after->sort_key);
      const std::string name = sql::AddParam(params, query.after->name);
      absl::StrAppend(&sql, " AND (a.title_key > ", key,
                      " OR (a.title_key = ", key, " AND a.name > ", name, "))");
    }
    absl::StrAppend(&sql, " ORDER BY a.title_key, a.name LIMIT ",
                    sql::AddParam(params, int64_t{query.limit}));
    ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(sql, params));
    std::vector<v1::Article> out;
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSIGN_OR_RETURN(v1::Article article, DecodeArticle(rows, i));
      out.push_back(std::move(article));
    }
    return out;
  }

  absl::StatusOr<std::vector<SearchHit>> Search(
      const SearchQuery& query) override {
    // Only stop words: nothing to look for.
    if (query.words.empty()) return std::vector<SearchHit>();
    const sql::Statement statement = SearchStatement(tx_.engine(), query);
    ASSIGN_OR_RETURN(ResultSet rows,
                     tx_.Query(statement.sql, statement.params));
    std::vector<SearchHit> hits;
    for (size_t i = 0; i < rows.size(); ++i) {
      SearchHit hit;
      ASSIGN_OR_RETURN(hit.article, DecodeArticle(rows, i));
      ASSIGN_OR_RETURN(hit.score, rows.GetDouble(i, "score"));
      ASSIGN_OR_RETURN(std::string snippet, rows.GetString(i, "snippet"));
      ASSIGN_OR_RETURN(std::string heading,
                       rows.GetString(i, "heading_snippet"));
      hit.snippet = ChooseSnippet(std::move(snippet), std::move(heading));
      hits.push_back(std::move(hit));
    }
    return hits;
  }

  absl::StatusOr<std::vector<ArticleVersion>> ChangedSince(
      absl::Time since) override {
    ASSIGN_OR_RETURN(ResultSet rows,
                     tx_.Query("SELECT name, etag FROM articles "
                               "WHERE changed_us >= $1",
                               {absl::ToUnixMicros(since)}));
    std::vector<ArticleVersion> changed;
    for (size_t i = 0; i < rows.size(); ++i) {
      ArticleVersion version;
      ASSIGN_OR_RETURN(version.name, rows.GetString(i, "name"));
      ASSIGN_OR_RETURN(version.etag, rows.GetString(i, "etag"));
      changed.push_back(std::move(version));
    }
    return changed;
  }

  absl::StatusOr<std::optional<v1::ArticleRevision>> FindRevision(
      const std::string& article, int64_t revision) override {
    ASSIGN_OR_RETURN(ResultSet rows,
                     tx_.Query("SELECT resource FROM article_revisions "
                               "WHERE article = $1 AND revision = $2",
                               {article, revision}));
    if (rows.empty()) return std::nullopt;
    return DecodeRevision(rows, 0);
  }

  absl::StatusOr<std::vector<v1::ArticleRevision>> ListRevisions(
      const std::string& article, std::optional<int64_t> before,
      int limit) override {
    Params params{article};
    std::string sql =
        "SELECT resource FROM article_revisions WHERE article = $1";
    if (before) {
      absl::StrAppend(&sql, " AND revision < ", sql::AddParam(params, *before));
    }
    absl::StrAppend(&sql, " ORDER BY revision DESC LIMIT ",
                    sql::AddParam(params, int64_t{limit}));
    ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(sql, params));
    std::vector<v1::ArticleRevision> out;
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSIGN_OR_RETURN(v1::ArticleRevision revision, DecodeRevision(rows, i));
      out.push_back(std::move(revision));
    }
    return out;
  }

  absl::StatusOr<std::optional<RequestRecord>> FindRequest(
      const std::string& request_id, absl::Time now) override {
    return requests::FindRequestRecord(tx_, request_id, now, kRequestRetention);
  }

  absl::Status RecordRequest(const std::string& request_id,
                             const RequestRecord& record,
                             absl::Time now) override {
    return requests::KeepRequestRecord(tx_, request_id, record, now,
                                       kRequestRetention);
  }

  absl::Status AddEvent(training::events::v1::Event event) override {
    return events::WriteToOutbox(tx_, kContentStream, std::move(event));
  }

 private:
  static absl::StatusOr<v1::ArticleRevision> DecodeRevision(
      const ResultSet& rows, size_t row) {
    ASSIGN_OR_RETURN(Blob bytes, rows.GetBlob(row, "resource"));
    v1::ArticleRevision revision;
    if (!revision.ParseFromString(bytes.bytes)) {
      return absl::DataLossError("content: stored revision does not parse");
    }
    return revision;
  }

  absl::Status ReplaceCourses(const v1::Article& article) {
    RETURN_IF_ERROR(
        tx_.Execute("DELETE FROM article_courses WHERE article = $1",
                    {article.name()})
            .status());
    for (const std::string& course : article.courses()) {
      RETURN_IF_ERROR(tx_.Execute("INSERT INTO article_courses (article, "
                                  "course) VALUES ($1, $2)",
                                  {article.name(), course})
                          .status());
    }
    return absl::OkStatus();
  }

  // Keeps a new revision and makes it the indexed text.
  absl::Status KeepText(int64_t seq, const std::string& article,
                        const ArticleText& text) {
    ASSIGN_OR_RETURN(std::optional<RevisionName> name,
                     ParsedRevision(text.revision.name()));
    RETURN_IF_ERROR(
        tx_.Execute("INSERT INTO article_revisions (article, revision, "
                    "resource, body_html) VALUES ($1, $2, $3, $4)",
                    {article, name->revision,
                     Blob{text.revision.SerializeAsString()}, text.body_html})
            .status());
    return IndexArticle(tx_, seq, text.revision, text.plain_text);
  }

  static absl::StatusOr<std::optional<RevisionName>> ParsedRevision(
      const std::string& name) {
    std::optional<RevisionName> parsed = ParseRevisionName(name);
    if (!parsed) return absl::InternalError("revision: malformed name");
    return parsed;
  }

  sql::Transaction& tx_;
};

}  // namespace

std::vector<sql::Migration> ContentMigrations() {
  sql::SqlText tables = sql::PortableDdl(R"sql(
CREATE TABLE articles (
  seq SERIAL_KEY,
  name TEXT NOT NULL UNIQUE,
  state INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  audience INTEGER NOT NULL,
  title_key TEXT NOT NULL,
  tags TEXT NOT NULL,
  resource BYTES NOT NULL,
  body_markdown TEXT NOT NULL,
  body_html TEXT NOT NULL
);
CREATE INDEX articles_by_title ON articles (title_key, name);
CREATE TABLE article_courses (
  article TEXT NOT NULL,
  course TEXT NOT NULL,
  PRIMARY KEY (article, course)
);
CREATE INDEX article_courses_by_course ON article_courses (course, article);
CREATE TABLE article_revisions (
  article TEXT NOT NULL,
  revision BIGINT NOT NULL,
  resource BYTES NOT NULL,
  body_html TEXT NOT NULL,
  PRIMARY KEY (article, revision)
);
CREATE TABLE request_ids (
  request_id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  resource_name TEXT NOT NULL,
  create_us BIGINT NOT NULL
);
)sql");
  const sql::SqlText search = SearchIndexDdl();
  tables.sqlite += search.sqlite;
  tables.postgres += search.postgres;
  return {{1, "articles, revisions, course links, search index, request ids",
           tables},
          {2, "articles' etags and change stamps, for other replicas' caches",
           sql::PortableDdl(R"sql(
ALTER TABLE articles ADD COLUMN etag TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN changed_us BIGINT NOT NULL DEFAULT 0;
CREATE INDEX articles_by_change ON articles (changed_us);
)sql")},
          {3,
           "title and summary beside the body for PostgreSQL's snippets",
           {.sqlite = "-- SQLite's FTS5 table holds every column itself.",
            .postgres = "ALTER TABLE article_search ADD COLUMN heading TEXT "
                        "NOT NULL DEFAULT '';"}}};
}

absl::StatusOr<std::unique_ptr<SqlContentStore>> SqlContentStore::Open(
    sql::Database* db) {
  RETURN_IF_ERROR(
      sql::ApplyMigrations(*db, "events", events::EventMigrations()));
  RETURN_IF_ERROR(sql::ApplyMigrations(*db, "content", ContentMigrations()));
  return std::unique_ptr<SqlContentStore>(new SqlContentStore(db));
}

absl::Status SqlContentStore::Run(
    Mode mode, const std::function<absl::Status(ContentTransaction&)>& body) {
  return sql::RunInTransaction(
      *db_, mode == Mode::kRead ? sql::TxMode::kRead : sql::TxMode::kWrite,
      [&](sql::Transaction& tx) {
        SqlContentTransaction content_tx(tx);
        return body(content_tx);
      });
}

}  // namespace training::content

#include "services/catalogue/store_sql.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/events/outbox.h"
#include "common/requests/request_records.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"

namespace training::catalogue {
namespace {

using sql::Blob;
using sql::Params;
using sql::ResultSet;
using sql::Value;

std::string Etag(int64_t version) { return absl::StrCat(version); }

template <typename Message>
absl::StatusOr<Message> Decode(const ResultSet& rows, size_t row) {
  ASSIGN_OR_RETURN(Blob bytes, rows.GetBlob(row, "resource"));
  ASSIGN_OR_RETURN(int64_t version, rows.GetInt64(row, "version"));
  Message message;
  if (!message.ParseFromString(bytes.bytes)) {
    return absl::DataLossError("catalogue: stored resource does not parse");
  }
  message.set_etag(Etag(version));
  return message;
}

// The stored form drops the etag and every joined or derived field.
Blob Encode(google::protobuf::Message& message) {
  return Blob{message.SerializeAsString()};
}

Blob EncodeSession(v1::Session session) {
  session.clear_etag();
  session.clear_course_title();
  session.clear_area();
  session.clear_has_joining_details();
  session.clear_local_start();
  session.clear_local_end();
  return Encode(session);
}

template <typename Message>
Blob EncodePlain(Message message) {
  message.clear_etag();
  return Encode(message);
}

// `tags` as `|a|b|`, so that one tag is found with LIKE '%|tag|%'.
std::string TagColumn(const v1::Course& course) {
  if (course.tags().empty()) return "";
  return absl::StrCat("|", absl::StrJoin(course.tags(), "|"), "|");
}

// LIKE pattern matching `word` anywhere, with wildcards in it escaped.
std::string ContainsPattern(absl::string_view word) {
  std::string out = "%";
  for (char c : word) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

absl::Status NotFoundUnlessChanged(int64_t changed, absl::string_view what) {
  if (changed == 0)
    return absl::NotFoundError(absl::StrCat(what, ": not found"));
  return absl::OkStatus();
}

constexpr char kSessionColumns[] =
    "SELECT s.resource, s.version, c.title AS course_title, "
    "c.state AS course_state, v.area AS area, "
    "(SELECT COUNT(*) FROM joining_details j WHERE j.session = s.name) "
    "AS joining FROM sessions s JOIN courses c ON c.name = s.course "
    "LEFT JOIN venues v ON v.name = s.venue";

absl::StatusOr<StoredSession> DecodeSession(const ResultSet& rows, size_t row) {
  StoredSession stored;
  ASSIGN_OR_RETURN(stored.session, Decode<v1::Session>(rows, row));
  ASSIGN_OR_RETURN(std::string course_title,
                   rows.GetString(row, "course_title"));
  ASSIGN_OR_RETURN(int64_t course_state, rows.GetInt64(row, "course_state"));
  ASSIGN_OR_RETURN(std::optional<std::string> area,
                   rows.GetOptionalString(row, "area"));
  ASSIGN_OR_RETURN(int64_t joining, rows.GetInt64(row, "joining"));
  stored.session.set_course_title(course_title);
  stored.course_state = static_cast<v1::Course::State>(course_state);
  if (stored.session.delivery_mode() == v1::IN_PERSON && area) {
    stored.session.set_area(*area);
  }
  stored.session.set_has_joining_details(joining > 0);
  return stored;
}

class SqlCatalogueTransaction final : public CatalogueTransaction {
 public:
  explicit SqlCatalogueTransaction(sql::Transaction& tx) : tx_(tx) {}

  // CatalogueTransaction:
  absl::StatusOr<std::optional<v1::Course>> FindCourse(const std::string& name,
                                                       bool lock) override {
    return FindOne<v1::Course>("courses", name, lock);
  }

  absl::Status InsertCourse(const v1::Course& course) override {
    return tx_
        .Execute(
            "INSERT INTO courses (name, state, title, title_key, tags, "
            "version, resource) VALUES ($1, $2, $3, $4, $5, 1, $6)",
            {course.name(), int64_t{course.state()}, course.title(),
             SearchKey(course.title()), TagColumn(course), EncodePlain(course)})
        .status();
  }

  absl::StatusOr<std::string> UpdateCourse(const v1::Course& course) override {
    ASSIGN_OR_RETURN(
        int64_t changed,
        tx_.Execute(
            "UPDATE courses SET state = $2, title = $3, title_key = $4, "
            "tags = $5, version = version + 1, resource = $6 "
            "WHERE name = $1",
            {course.name(), int64_t{course.state()}, course.title(),
             SearchKey(course.title()), TagColumn(course),
             EncodePlain(course)}));
    RETURN_IF_ERROR(NotFoundUnlessChanged(changed, "course"));
    return CurrentEtag("courses", course.name());
  }

  absl::StatusOr<std::vector<v1::Course>> ListCourses(
      const CourseQuery& query) override {
    Params params;
    std::string sql = "SELECT resource, version FROM courses WHERE 1 = 1";
    if (query.published_only) {
      absl::StrAppend(&sql, " AND state = ",
                      sql::AddParam(params, int64_t{v1::Course::PUBLISHED}));
    }
    if (!query.tag.empty()) {
      absl::StrAppend(
          &sql, " AND tags LIKE ",
          sql::AddParam(params, ContainsPattern("|" + query.tag + "|")),
          " ESCAPE '\\'");
    }
    AppendKeyset(sql, params, "title_key", query.after);
    absl::StrAppend(&sql, " ORDER BY title_key, name LIMIT ",
                    sql::AddParam(params, int64_t{query.limit}));
    return DecodeAll<v1::Course>(sql, params);
  }

  absl::StatusOr<std::optional<v1::Trainer>> FindTrainer(
      const std::string& name, bool lock) override {
    return FindOne<v1::Trainer>("trainers", name, lock);
  }

  absl::Status InsertTrainer(const v1::Trainer& trainer) override {
    return tx_
        .Execute(
            "INSERT INTO trainers (name, sort_key, version, resource) "
            "VALUES ($1, $2, 1, $3)",
            {trainer.name(), SearchKey(trainer.display_name()),
             EncodePlain(trainer)})
        .status();
  }

  absl::StatusOr<std::string> UpdateTrainer(
      const v1::Trainer& trainer) override {
    ASSIGN_OR_RETURN(
        int64_t changed,
        tx_.Execute("UPDATE trainers SET sort_key = $2, "
                    "version = version + 1, resource = $3 WHERE name = $1",
                    {trainer.name(), SearchKey(trainer.display_name()),
                     EncodePlain(trainer)}));
    RETURN_IF_ERROR(NotFoundUnlessChanged(changed, "trainer"));
    return CurrentEtag("trainers", trainer.name());
  }

  absl::Status DeleteTrainer(const std::string& name) override {
    ASSIGN_OR_RETURN(
        int64_t changed,
        tx_.Execute("DELETE FROM trainers WHERE name = $1", {name}));
    return NotFoundUnlessChanged(changed, "trainer");
  }

  absl::StatusOr<std::vector<v1::Trainer>> ListTrainers(
      const NameQuery& query) override {
    return ListByName<v1::Trainer>("trainers", query);
  }

  absl::StatusOr<std::optional<v1::Venue>> FindVenue(const std::string& name,
                                                     bool lock) override {
    return FindOne<v1::Venue>("venues", name, lock);
  }

  absl::Status InsertVenue(const v1::Venue& venue) override {
    return tx_
        .Execute(
            "INSERT INTO venues (name, sort_key, area, version, resource) "
            "VALUES ($1, $2, $3, 1, $4)",
            {venue.name(), SearchKey(venue.display_name()), venue.area(),
             EncodePlain(venue)})
        .status();
  }

  absl::StatusOr<std::string> UpdateVenue(const v1::Venue& venue) override {
    ASSIGN_OR_RETURN(
        int64_t changed,
        tx_.Execute("UPDATE venues SET sort_key = $2, area = $3, "
                    "version = version + 1, resource = $4 WHERE name = $1",
                    {venue.name(), SearchKey(venue.display_name()),
                     venue.area(), EncodePlain(venue)}));
    RETURN_IF_ERROR(NotFoundUnlessChanged(changed, "venue"));
    return CurrentEtag("venues", venue.name());
  }

  absl::Status DeleteVenue(const std::string& name) override {
    ASSIGN_OR_RETURN(int64_t changed,
                     tx_.Execute("DELETE FROM venues WHERE name = $1", {name}));
    return NotFoundUnlessChanged(changed, "venue");
  }

  absl::StatusOr<std::vector<v1::Venue>> ListVenues(
      const NameQuery& query) override {
    return ListByName<v1::Venue>("venues", query);
  }

  absl::StatusOr<int64_t> CountActiveSessionsWithTrainer(
      const std::string& trainer, absl::Time now) override {
    return Count(
        "SELECT COUNT(*) AS n FROM session_trainers t JOIN sessions s "
        "ON s.name = t.session WHERE t.trainer = $1 AND s.state = $2 "
        "AND s.end_us > $3",
        {trainer, int64_t{v1::Session::SCHEDULED}, absl::ToUnixMicros(now)});
  }

  absl::StatusOr<int64_t> CountActiveSessionsAtVenue(const std::string& venue,
                                                     absl::Time now) override {
    return Count(
        "SELECT COUNT(*) AS n FROM sessions WHERE venue = $1 AND state = $2 "
        "AND end_us > $3",
        {venue, int64_t{v1::Session::SCHEDULED}, absl::ToUnixMicros(now)});
  }

  absl::StatusOr<std::optional<StoredSession>> FindSession(
      const std::string& name, bool lock) override {
    if (lock) {
      // Lock the session's own row only: FOR UPDATE on the join below would
      // also lock its course, and cannot lock the outer-joined venue.
      ASSIGN_OR_RETURN(
          ResultSet locked,
          tx_.QueryForUpdate("SELECT name FROM sessions WHERE name = $1",
                             {name}));
      if (locked.empty()) return std::nullopt;
    }
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query(absl::StrCat(kSessionColumns, " WHERE s.name = $1"), {name}));
    if (rows.empty()) return std::nullopt;
    return DecodeSession(rows, 0);
  }

  absl::Status InsertSession(const v1::Session& session) override {
    ASSIGN_OR_RETURN(std::optional<SessionName> parsed,
                     ParsedName(session.name()));
    RETURN_IF_ERROR(
        tx_.Execute(
               "INSERT INTO sessions (name, course, start_us, end_us, "
               "delivery_mode, venue, state, title_key, version, resource) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9)",
               SessionRow(session, parsed->course))
            .status());
    return ReplaceTrainers(session);
  }

  absl::StatusOr<std::string> UpdateSession(
      const v1::Session& session) override {
    ASSIGN_OR_RETURN(std::optional<SessionName> parsed,
                     ParsedName(session.name()));
    ASSIGN_OR_RETURN(
        int64_t changed,
        tx_.Execute("UPDATE sessions SET course = $2, start_us = $3, "
                    "end_us = $4, delivery_mode = $5, venue = $6, state = $7, "
                    "title_key = $8, version = version + 1, resource = $9 "
                    "WHERE name = $1",
                    SessionRow(session, parsed->course)));
    RETURN_IF_ERROR(NotFoundUnlessChanged(changed, "session"));
    RETURN_IF_ERROR(ReplaceTrainers(session));
    return CurrentEtag("sessions", session.name());
  }

  absl::StatusOr<std::vector<StoredSession>> ListSessions(
      const SessionQuery& query) override {
    Params params;
    std::string sql = absl::StrCat(
        kSessionColumns, " WHERE s.start_us >= ",
        sql::AddParam(params, absl::ToUnixMicros(query.earliest_start)));
    if (query.latest_start) {
      absl::StrAppend(
          &sql, " AND s.start_us < ",
          sql::AddParam(params, absl::ToUnixMicros(*query.latest_start)));
    }
    if (!query.course.empty()) {
      absl::StrAppend(&sql,
                      " AND s.course = ", sql::AddParam(params, query.course));
    }
    if (query.delivery_mode != v1::DELIVERY_MODE_UNSPECIFIED) {
      absl::StrAppend(&sql, " AND s.delivery_mode = ",
                      sql::AddParam(params, int64_t{query.delivery_mode}));
    }
    if (!query.venue.empty()) {
      absl::StrAppend(&sql,
                      " AND s.venue = ", sql::AddParam(params, query.venue));
    }
    if (!query.area.empty()) {
      absl::StrAppend(&sql, " AND s.delivery_mode = ",
                      sql::AddParam(params, int64_t{v1::IN_PERSON}),
                      " AND v.area = ", sql::AddParam(params, query.area));
    }
    for (const std::string& word : query.words) {
      absl::StrAppend(&sql, " AND (c.title_key || ' ' || s.title_key) LIKE ",
                      sql::AddParam(params, ContainsPattern(word)),
                      " ESCAPE '\\'");
    }
    if (query.active_only) {
      absl::StrAppend(&sql, " AND s.state = ",
                      sql::AddParam(params, int64_t{v1::Session::SCHEDULED}),
                      " AND s.end_us > ",
                      sql::AddParam(params, absl::ToUnixMicros(query.now)));
    }
    if (!query.include_draft_courses) {
      absl::StrAppend(&sql, " AND c.state <> ",
                      sql::AddParam(params, int64_t{v1::Course::DRAFT}));
    }
    if (query.after) {
      int64_t start_us;
      if (!absl::SimpleAtoi(query.after->sort_key, &start_us)) {
        return absl::InvalidArgumentError(
            "page_token: is not a token this list returned");
      }
      const std::string start = sql::AddParam(params, start_us);
      const std::string name = sql::AddParam(params, query.after->name);
      absl::StrAppend(&sql, " AND (s.start_us > ", start,
                      " OR (s.start_us = ", start, " AND s.name > ", name,
                      "))");
    }
    absl::StrAppend(&sql, " ORDER BY s.start_us, s.name LIMIT ",
                    sql::AddParam(params, int64_t{query.limit}));
    ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(sql, params));
    std::vector<StoredSession> sessions;
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSIGN_OR_RETURN(StoredSession session, DecodeSession(rows, i));
      sessions.push_back(std::move(session));
    }
    return sessions;
  }

  absl::StatusOr<std::optional<v1::JoiningDetails>> FindJoiningDetails(
      const std::string& session) override {
    ASSIGN_OR_RETURN(
        ResultSet rows,
        tx_.Query("SELECT resource FROM joining_details WHERE session = $1",
                  {session}));
    if (rows.empty()) return std::nullopt;
    ASSIGN_OR_RETURN(Blob bytes, rows.GetBlob(0, "resource"));
    v1::JoiningDetails details;
    if (!details.ParseFromString(bytes.bytes)) {
      return absl::DataLossError("catalogue: joining details do not parse");
    }
    return details;
  }

  absl::Status PutJoiningDetails(const std::string& session,
                                 const v1::JoiningDetails& details) override {
    return tx_
        .Execute(
            "INSERT INTO joining_details (session, resource) VALUES ($1, $2) "
            "ON CONFLICT (session) DO UPDATE SET resource = excluded.resource",
            {session, Blob{details.SerializeAsString()}})
        .status();
  }

  absl::Status DeleteJoiningDetails(const std::string& session) override {
    return tx_
        .Execute("DELETE FROM joining_details WHERE session = $1", {session})
        .status();
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
    return events::WriteToOutbox(tx_, kCatalogueStream, std::move(event));
  }

 private:
  template <typename Message>
  absl::StatusOr<std::optional<Message>> FindOne(absl::string_view table,
                                                 const std::string& name,
                                                 bool lock) {
    const std::string sql = absl::StrCat("SELECT resource, version FROM ",
                                         table, " WHERE name = $1");
    ASSIGN_OR_RETURN(ResultSet rows, lock ? tx_.QueryForUpdate(sql, {name})
                                          : tx_.Query(sql, {name}));
    if (rows.empty()) return std::nullopt;
    return Decode<Message>(rows, 0);
  }

  template <typename Message>
  absl::StatusOr<std::vector<Message>> DecodeAll(const std::string& sql,
                                                 const Params& params) {
    ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(sql, params));
    std::vector<Message> out;
    for (size_t i = 0; i < rows.size(); ++i) {
      ASSIGN_OR_RETURN(Message message, Decode<Message>(rows, i));
      out.push_back(std::move(message));
    }
    return out;
  }

  template <typename Message>
  absl::StatusOr<std::vector<Message>> ListByName(absl::string_view table,
                                                  const NameQuery& query) {
    Params params;
    std::string sql =
        absl::StrCat("SELECT resource, version FROM ", table, " WHERE 1 = 1");
    AppendKeyset(sql, params, "sort_key", query.after);
    absl::StrAppend(&sql, " ORDER BY sort_key, name LIMIT ",
                    sql::AddParam(params, int64_t{query.limit}));
    return DecodeAll<Message>(sql, params);
  }

  static void AppendKeyset(std::string& sql, Params& params,
                           absl::string_view column,
                           const std::optional<PageKey>& after) {
    if (!after) return;
    const std::string key = sql::AddParam(params, after->sort_key);
    const std::string name = sql::AddParam(params, after->name);
    absl::StrAppend(&sql, " AND (", column, " > ", key, " OR (", column, " = ",
                    key, " AND name > ", name, "))");
  }

  absl::StatusOr<std::string> CurrentEtag(absl::string_view table,
                                          const std::string& name) {
    ASSIGN_OR_RETURN(int64_t version,
                     Count(absl::StrCat("SELECT version AS n FROM ", table,
                                        " WHERE name = $1"),
                           {name}));
    return Etag(version);
  }

  absl::StatusOr<int64_t> Count(const std::string& sql, const Params& params) {
    ASSIGN_OR_RETURN(ResultSet rows, tx_.Query(sql, params));
    return rows.GetInt64(0, "n");
  }

  static absl::StatusOr<std::optional<SessionName>> ParsedName(
      const std::string& name) {
    std::optional<SessionName> parsed = ParseSessionName(name);
    if (!parsed) return absl::InternalError("session: malformed name stored");
    return parsed;
  }

  static Params SessionRow(const v1::Session& session,
                           const std::string& course) {
    return {session.name(),
            course,
            absl::ToUnixMicros(FromProto(session.start_time())),
            absl::ToUnixMicros(FromProto(session.end_time())),
            int64_t{session.delivery_mode()},
            session.venue().empty() ? sql::Null() : Value(session.venue()),
            int64_t{session.state()},
            SearchKey(session.title()),
            EncodeSession(session)};
  }

  absl::Status ReplaceTrainers(const v1::Session& session) {
    RETURN_IF_ERROR(
        tx_.Execute("DELETE FROM session_trainers WHERE session = $1",
                    {session.name()})
            .status());
    for (const std::string& trainer : session.trainers()) {
      RETURN_IF_ERROR(tx_.Execute("INSERT INTO session_trainers (session, "
                                  "trainer) VALUES ($1, $2)",
                                  {session.name(), trainer})
                          .status());
    }
    return absl::OkStatus();
  }

  sql::Transaction& tx_;
};

}  // namespace

std::vector<sql::Migration> CatalogueMigrations() {
  return {
      {1, "courses, trainers, venues, sessions, joining details, request ids",
       sql::PortableDdl(R"sql(
CREATE TABLE courses (
  name TEXT PRIMARY KEY,
  state INTEGER NOT NULL,
  title TEXT NOT NULL,
  title_key TEXT NOT NULL,
  tags TEXT NOT NULL,
  version BIGINT NOT NULL,
  resource BYTES NOT NULL
);
CREATE INDEX courses_by_title ON courses (title_key, name);
CREATE TABLE trainers (
  name TEXT PRIMARY KEY,
  sort_key TEXT NOT NULL,
  version BIGINT NOT NULL,
  resource BYTES NOT NULL
);
CREATE INDEX trainers_by_name ON trainers (sort_key, name);
CREATE TABLE venues (
  name TEXT PRIMARY KEY,
  sort_key TEXT NOT NULL,
  area TEXT NOT NULL,
  version BIGINT NOT NULL,
  resource BYTES NOT NULL
);
CREATE INDEX venues_by_name ON venues (sort_key, name);
CREATE TABLE sessions (
  name TEXT PRIMARY KEY,
  course TEXT NOT NULL,
  start_us BIGINT NOT NULL,
  end_us BIGINT NOT NULL,
  delivery_mode INTEGER NOT NULL,
  venue TEXT,
  state INTEGER NOT NULL,
  title_key TEXT NOT NULL,
  version BIGINT NOT NULL,
  resource BYTES NOT NULL
);
CREATE INDEX sessions_by_start ON sessions (start_us, name);
CREATE INDEX sessions_by_course ON sessions (course, start_us, name);
CREATE INDEX sessions_by_venue ON sessions (venue);
CREATE TABLE session_trainers (
  session TEXT NOT NULL,
  trainer TEXT NOT NULL,
  PRIMARY KEY (session, trainer)
);
CREATE INDEX session_trainers_by_trainer ON session_trainers (trainer);
CREATE TABLE joining_details (
  session TEXT PRIMARY KEY,
  resource BYTES NOT NULL
);
CREATE TABLE request_ids (
  request_id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  resource_name TEXT NOT NULL,
  create_us BIGINT NOT NULL
);
)sql")},
  };
}

absl::StatusOr<std::unique_ptr<SqlCatalogueStore>> SqlCatalogueStore::Open(
    sql::Database* db) {
  RETURN_IF_ERROR(
      sql::ApplyMigrations(*db, "events", events::EventMigrations()));
  RETURN_IF_ERROR(
      sql::ApplyMigrations(*db, "catalogue", CatalogueMigrations()));
  return std::unique_ptr<SqlCatalogueStore>(new SqlCatalogueStore(db));
}

absl::Status SqlCatalogueStore::Run(
    Mode mode, const std::function<absl::Status(CatalogueTransaction&)>& body) {
  return sql::RunInTransaction(
      *db_, mode == Mode::kRead ? sql::TxMode::kRead : sql::TxMode::kWrite,
      [&](sql::Transaction& tx) {
        SqlCatalogueTransaction catalogue_tx(tx);
        return body(catalogue_tx);
      });
}

}  // namespace training::catalogue

// The notification store's templates: the current revision of each in
// `templates`, every revision in `template_revisions`.

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/notification/default_templates.h"
#include "services/notification/message_plan.h"
#include "services/notification/store.h"

namespace training::notification {
namespace {

constexpr char kTemplateColumns[] =
    "t.slug, t.kind, t.active, t.create_us, t.update_us, r.revision, "
    "r.subject, r.body, r.html_body, r.copy_line_manager, "
    "r.create_us AS revision_us";

absl::StatusOr<TemplateRevision> DecodeTemplate(const sql::ResultSet& rows,
                                                size_t i) {
  TemplateRevision t;
  ASSIGN_OR_RETURN(t.slug, rows.GetString(i, "slug"));
  ASSIGN_OR_RETURN(int64_t kind, rows.GetInt64(i, "kind"));
  t.kind = static_cast<v1::MessageKind>(kind);
  ASSIGN_OR_RETURN(int64_t active, rows.GetInt64(i, "active"));
  t.active = active != 0;
  ASSIGN_OR_RETURN(int64_t create_us, rows.GetInt64(i, "create_us"));
  ASSIGN_OR_RETURN(int64_t update_us, rows.GetInt64(i, "update_us"));
  ASSIGN_OR_RETURN(int64_t revision_us, rows.GetInt64(i, "revision_us"));
  t.create_time = absl::FromUnixMicros(create_us);
  t.update_time = absl::FromUnixMicros(update_us);
  t.revision_time = absl::FromUnixMicros(revision_us);
  ASSIGN_OR_RETURN(t.revision, rows.GetInt64(i, "revision"));
  ASSIGN_OR_RETURN(t.subject, rows.GetString(i, "subject"));
  ASSIGN_OR_RETURN(t.body, rows.GetString(i, "body"));
  ASSIGN_OR_RETURN(t.html_body, rows.GetString(i, "html_body"));
  ASSIGN_OR_RETURN(int64_t copy, rows.GetInt64(i, "copy_line_manager"));
  t.copy_line_manager = copy != 0;
  return t;
}

absl::StatusOr<std::vector<TemplateRevision>> DecodeTemplates(
    const sql::ResultSet& rows) {
  std::vector<TemplateRevision> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSIGN_OR_RETURN(out.emplace_back(), DecodeTemplate(rows, i));
  }
  return out;
}

// Templates joined with their revisions, `join_and_where` going on from
// "… JOIN template_revisions r ON ", in a read transaction of their own.
absl::StatusOr<std::vector<TemplateRevision>> ReadTemplates(
    sql::Database& db, absl::string_view join_and_where,
    const sql::Params& params) {
  std::vector<TemplateRevision> out;
  RETURN_IF_ERROR(sql::RunInTransaction(
      db, sql::TxMode::kRead, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            sql::ResultSet rows,
            tx.Query(absl::StrCat("SELECT ", kTemplateColumns,
                                  " FROM templates t JOIN template_revisions "
                                  "r ON ",
                                  join_and_where),
                     params));
        ASSIGN_OR_RETURN(out, DecodeTemplates(rows));
        return absl::OkStatus();
      }));
  return out;
}

absl::Status InsertRevision(sql::Transaction& tx, const TemplateRevision& t,
                            int64_t revision, absl::Time now) {
  return tx
      .Execute(
          "INSERT INTO template_revisions (slug, revision, subject, body, "
          "html_body, copy_line_manager, create_us) VALUES ($1, $2, $3, $4, "
          "$5, $6, $7)",
          {t.slug, revision, t.subject, t.body, t.html_body,
           int64_t{t.copy_line_manager}, absl::ToUnixMicros(now)})
      .status();
}

absl::Status ClearOtherActive(sql::Transaction& tx, const TemplateRevision& t) {
  return tx
      .Execute(
          "UPDATE templates SET active = 0 WHERE kind = $1 AND slug <> $2 "
          "AND active = 1",
          {int64_t{t.kind}, t.slug})
      .status();
}

}  // namespace

absl::Status NotificationStore::SeedDefaultTemplates(absl::Time now) {
  return sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        for (const DefaultTemplate& d : DefaultTemplates()) {
          const std::string slug = DefaultTemplateSlug(d.kind);
          ASSIGN_OR_RETURN(
              int64_t added,
              tx.Execute("INSERT INTO templates (slug, kind, active, "
                         "revision, create_us, update_us) VALUES ($1, $2, "
                         "1, 1, $3, $3) ON CONFLICT (slug) DO NOTHING",
                         {slug, int64_t{d.kind}, absl::ToUnixMicros(now)}));
          if (added == 0) continue;
          TemplateRevision t{.slug = slug,
                             .kind = d.kind,
                             .subject = d.subject,
                             .body = d.body,
                             .html_body = d.html_body,
                             .copy_line_manager = d.copy_line_manager};
          RETURN_IF_ERROR(InsertRevision(tx, t, 1, now));
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<TemplateRevision> NotificationStore::ActiveTemplate(
    sql::Transaction& tx, v1::MessageKind kind) {
  ASSIGN_OR_RETURN(
      sql::ResultSet rows,
      tx.Query(absl::StrCat("SELECT ", kTemplateColumns,
                            " FROM templates t JOIN template_revisions r ON "
                            "r.slug = t.slug AND r.revision = t.revision "
                            "WHERE t.kind = $1 AND t.active = 1 LIMIT 1"),
               {int64_t{kind}}));
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no active template for ", v1::MessageKind_Name(kind)));
  }
  return DecodeTemplate(rows, 0);
}

absl::StatusOr<TemplateRevision> NotificationStore::GetTemplate(
    const std::string& slug, int64_t revision) {
  ASSIGN_OR_RETURN(
      std::vector<TemplateRevision> found,
      ReadTemplates(*db_,
                    "r.slug = t.slug AND r.revision = CASE WHEN $2 = 0 THEN "
                    "t.revision ELSE $2 END WHERE t.slug = $1",
                    {slug, revision}));
  if (found.empty()) return absl::NotFoundError("template: not found");
  return std::move(found.front());
}

absl::StatusOr<std::vector<TemplateRevision>> NotificationStore::ListTemplates(
    v1::MessageKind kind, const std::string& after_slug, int limit) {
  return ReadTemplates(*db_,
                       "r.slug = t.slug AND r.revision = t.revision WHERE ($1 "
                       "= 0 OR t.kind = $1) AND t.slug > $2 ORDER BY t.slug "
                       "LIMIT $3",
                       {int64_t{kind}, after_slug, int64_t{limit}});
}

absl::StatusOr<std::vector<TemplateRevision>> NotificationStore::ListRevisions(
    const std::string& slug, int64_t before_revision, int limit) {
  return ReadTemplates(*db_,
                       "r.slug = t.slug WHERE t.slug = $1 AND ($2 = 0 OR "
                       "r.revision < $2) ORDER BY r.revision DESC LIMIT $3",
                       {slug, before_revision, int64_t{limit}});
}

absl::Status NotificationStore::CreateTemplate(const TemplateRevision& t,
                                               absl::Time now) {
  return sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            int64_t added,
            tx.Execute("INSERT INTO templates (slug, kind, active, revision, "
                       "create_us, update_us) VALUES ($1, $2, $3, 1, $4, $4) "
                       "ON CONFLICT (slug) DO NOTHING",
                       {t.slug, int64_t{t.kind}, int64_t{t.active},
                        absl::ToUnixMicros(now)}));
        if (added == 0) {
          return absl::AlreadyExistsError("template_id: the slug is taken");
        }
        if (t.active) RETURN_IF_ERROR(ClearOtherActive(tx, t));
        return InsertRevision(tx, t, 1, now);
      });
}

absl::StatusOr<TemplateRevision> NotificationStore::UpdateTemplate(
    const TemplateRevision& t, int64_t expected_revision, bool new_revision,
    absl::Time now) {
  RETURN_IF_ERROR(sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        const int64_t revision =
            new_revision ? expected_revision + 1 : expected_revision;
        ASSIGN_OR_RETURN(
            int64_t changed,
            tx.Execute("UPDATE templates SET revision = $2, active = $3, "
                       "update_us = $4 WHERE slug = $1 AND revision = $5",
                       {t.slug, revision, int64_t{t.active},
                        absl::ToUnixMicros(now), expected_revision}));
        if (changed == 0) {
          return absl::AbortedError(
              "template: changed since it was read; read it again");
        }
        if (t.active) RETURN_IF_ERROR(ClearOtherActive(tx, t));
        if (new_revision) RETURN_IF_ERROR(InsertRevision(tx, t, revision, now));
        return absl::OkStatus();
      }));
  return GetTemplate(t.slug, 0);
}

absl::Status NotificationStore::DeleteTemplate(const std::string& slug) {
  return sql::RunInTransaction(
      *db_, sql::TxMode::kWrite, [&](sql::Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            sql::ResultSet rows,
            tx.Query("SELECT active FROM templates WHERE slug = $1", {slug}));
        if (rows.empty()) return absl::NotFoundError("name: no such template");
        ASSIGN_OR_RETURN(int64_t active, rows.GetInt64(0, "active"));
        if (active != 0) {
          return absl::FailedPreconditionError(
              "name: the template is its kind's active one; make another "
              "active first");
        }
        RETURN_IF_ERROR(
            tx.Execute("DELETE FROM template_revisions WHERE slug = $1", {slug})
                .status());
        return tx.Execute("DELETE FROM templates WHERE slug = $1", {slug})
            .status();
      });
}

}  // namespace training::notification

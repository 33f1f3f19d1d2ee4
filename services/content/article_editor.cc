#include "services/content/article_editor.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/outbox.h"
#include "common/requests/requests.h"
#include "common/requests/update_mask.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/text/text.h"
#include "common/time/proto_time.h"
#include "services/content/article_rules.h"
#include "services/content/markdown.h"

namespace training::content {
namespace {

using ::training::events::v1::Event;

Event NewEvent(const Caller& caller, const std::string& subject) {
  return events::NewEvent("content", subject, caller.request_id,
                          caller.traceparent, caller.tracestate);
}

// An etag that is given must be the current one.
absl::Status CheckEtag(absl::string_view given, absl::string_view current) {
  if (given.empty() || given == current) return absl::OkStatus();
  return WithErrorInfo(
      absl::AbortedError("etag: the article changed since it was read"),
      "ETAG_MISMATCH");
}

std::string RevisionNameOf(const std::string& article, int64_t revision) {
  return absl::StrCat(article, "/revisions/", revision);
}

// Renders the article's body and makes the text of its revision
// `revision`, written by `caller` at `now`.
ArticleText NewText(v1::Article& article, int64_t revision,
                    const Caller& caller, absl::Time now) {
  RenderedMarkdown rendered = RenderMarkdown(article.body_markdown());
  article.set_body_html(rendered.html);
  article.set_revision_id(absl::StrCat(revision));
  ArticleText text;
  text.revision.set_name(RevisionNameOf(article.name(), revision));
  text.revision.set_title(article.title());
  text.revision.set_summary(article.summary());
  text.revision.set_body_markdown(article.body_markdown());
  *text.revision.mutable_create_time() = ToProto(now);
  text.revision.set_author(caller.key_name);
  text.body_html = std::move(rendered.html);
  text.plain_text = std::move(rendered.plain_text);
  return text;
}

// A published article's event: its listed form as now.
absl::Status AddPublished(ContentTransaction& tx, const Caller& caller,
                          const v1::Article& article) {
  Event event = NewEvent(caller, article.name());
  *event.mutable_article_published()->mutable_article() = Listed(article);
  return tx.AddEvent(std::move(event));
}

}  // namespace

absl::StatusOr<v1::Article> ArticleEditor::CreateArticle(
    const Caller& caller, const v1::CreateArticleRequest& r) {
  std::vector<FieldViolation> violations;
  if (!text::IsValidSlug(r.article_id())) {
    violations.push_back({"article_id",
                          "must be 3 to 63 of a-z, 0-9 and '-', starting "
                          "with a letter and not ending with '-'"});
  }
  if (!r.request_id().empty() && !text::IsUuid(r.request_id())) {
    violations.push_back({"request_id", "must be a UUID"});
  }
  v1::Article article = r.article();
  NormalizeArticle(article);
  ValidateArticle(article, "article", violations);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));

  const absl::Time now = clock_->Now();
  article.set_name(absl::StrCat("articles/", r.article_id()));
  article.set_state(v1::Article::DRAFT);
  *article.mutable_create_time() = ToProto(now);
  *article.mutable_update_time() = ToProto(now);
  article.clear_publish_time();
  const ArticleText text = NewText(article, 1, caller, now);
  article.set_etag(ArticleEtag(article));

  const std::string fingerprint = requests::RequestFingerprint(r);
  v1::Article created;
  RETURN_IF_ERROR(store_->Run(
      ContentStore::Mode::kWrite, [&](ContentTransaction& tx) -> absl::Status {
        if (!r.request_id().empty()) {
          ASSIGN_OR_RETURN(std::optional<RequestRecord> record,
                           tx.FindRequest(r.request_id(), now));
          ASSIGN_OR_RETURN(const RequestRecord* replayed,
                           requests::Replayed(record, fingerprint));
          if (replayed != nullptr) {
            ASSIGN_OR_RETURN(std::optional<v1::Article> current,
                             tx.FindArticle(replayed->resource, true, false));
            if (!current) return ArticleNotFound();
            created = *std::move(current);
            return absl::OkStatus();
          }
        }
        absl::Status inserted = tx.InsertArticle(article, text);
        if (absl::IsAlreadyExists(inserted)) {
          return absl::AlreadyExistsError("article_id: already taken");
        }
        RETURN_IF_ERROR(inserted);
        created = article;
        if (r.request_id().empty()) return absl::OkStatus();
        return tx.RecordRequest(r.request_id(), {fingerprint, article.name()},
                                now);
      }));
  return Committed(std::move(created));
}

absl::StatusOr<v1::Article> ArticleEditor::UpdateArticle(
    const Caller& caller, const v1::UpdateArticleRequest& r) {
  RETURN_IF_ERROR(CheckArticleName(r.article().name(), "article.name"));
  std::vector<FieldViolation> violations;
  requests::ValidateUpdateMask(r.update_mask(), *v1::Article::descriptor(),
                               violations);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  const absl::Time now = clock_->Now();
  v1::Article updated;
  RETURN_IF_ERROR(store_->Run(
      ContentStore::Mode::kWrite, [&](ContentTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<v1::Article> current,
                         tx.FindArticle(r.article().name(), true, true));
        if (!current) return ArticleNotFound();
        RETURN_IF_ERROR(CheckEtag(r.article().etag(), current->etag()));
        v1::Article next = *current;
        requests::ApplyUpdateMask(r.update_mask(), r.article(), next);
        NormalizeArticle(next);
        std::vector<FieldViolation> invalid;
        ValidateArticle(next, "article", invalid);
        if (!invalid.empty()) return InvalidArgumentError(std::move(invalid));
        next.set_etag(current->etag());
        if (next.SerializeAsString() == current->SerializeAsString()) {
          updated = *std::move(current);
          return absl::OkStatus();
        }
        std::optional<ArticleText> text;
        if (ChangesText(*current, next)) {
          int64_t revision = 0;
          if (!absl::SimpleAtoi(current->revision_id(), &revision)) {
            return absl::InternalError("article: stored revision id");
          }
          text = NewText(next, revision + 1, caller, now);
        }
        *next.mutable_update_time() = ToProto(now);
        next.set_etag(ArticleEtag(next));
        RETURN_IF_ERROR(tx.UpdateArticle(next, text ? &*text : nullptr));
        if (next.state() == v1::Article::PUBLISHED) {
          RETURN_IF_ERROR(AddPublished(tx, caller, next));
        }
        updated = std::move(next);
        return absl::OkStatus();
      }));
  return Committed(std::move(updated));
}

absl::StatusOr<v1::Article> ArticleEditor::PublishArticle(
    const Caller& caller, const v1::PublishArticleRequest& r) {
  return ChangeState(caller, r.name(), r.etag(), v1::Article::PUBLISHED);
}

absl::StatusOr<v1::Article> ArticleEditor::ArchiveArticle(
    const Caller& caller, const v1::ArchiveArticleRequest& r) {
  return ChangeState(caller, r.name(), r.etag(), v1::Article::ARCHIVED);
}

absl::StatusOr<v1::Article> ArticleEditor::ChangeState(
    const Caller& caller, const std::string& name, const std::string& etag,
    v1::Article::State state) {
  RETURN_IF_ERROR(CheckArticleName(name, "name"));
  const absl::Time now = clock_->Now();
  v1::Article changed;
  RETURN_IF_ERROR(store_->Run(
      ContentStore::Mode::kWrite, [&](ContentTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<v1::Article> current,
                         tx.FindArticle(name, true, true));
        if (!current) return ArticleNotFound();
        RETURN_IF_ERROR(CheckEtag(etag, current->etag()));
        changed = *std::move(current);
        if (changed.state() == state) return absl::OkStatus();
        changed.set_state(state);
        *changed.mutable_update_time() = ToProto(now);
        if (state == v1::Article::PUBLISHED && !changed.has_publish_time()) {
          *changed.mutable_publish_time() = ToProto(now);
        }
        changed.set_etag(ArticleEtag(changed));
        RETURN_IF_ERROR(tx.UpdateArticle(changed, nullptr));
        if (state == v1::Article::PUBLISHED) {
          return AddPublished(tx, caller, changed);
        }
        Event event = NewEvent(caller, name);
        event.mutable_article_archived()->set_article(name);
        return tx.AddEvent(std::move(event));
      }));
  return Committed(std::move(changed));
}

v1::Article ArticleEditor::Committed(v1::Article article) {
  if (cache_ != nullptr) cache_->Changed(article.name());
  return article;
}

absl::StatusOr<v1::ArticleRevision> ArticleEditor::GetArticleRevision(
    const Caller&, const v1::GetArticleRevisionRequest& r) {
  std::optional<RevisionName> name = ParseRevisionName(r.name());
  if (!name) {
    return InvalidArgumentError(
        {{"name", "must be articles/{article}/revisions/{revision}"}});
  }
  std::optional<v1::ArticleRevision> revision;
  RETURN_IF_ERROR(store_->Run(
      ContentStore::Mode::kRead, [&](ContentTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(revision,
                         tx.FindRevision(name->article, name->revision));
        return absl::OkStatus();
      }));
  if (!revision) return absl::NotFoundError("revision: not found");
  return *std::move(revision);
}

absl::StatusOr<v1::ListArticleRevisionsResponse>
ArticleEditor::ListArticleRevisions(const Caller&,
                                    const v1::ListArticleRevisionsRequest& r) {
  RETURN_IF_ERROR(CheckArticleName(r.parent(), "parent"));
  ASSIGN_OR_RETURN(int limit, requests::EffectivePageSize(r.page_size()));
  const std::string filters = requests::FiltersFingerprint(r);
  std::optional<int64_t> before;
  if (!r.page_token().empty()) {
    ASSIGN_OR_RETURN(requests::PageKey key,
                     requests::DecodePageToken(r.page_token(), filters));
    int64_t revision = 0;
    if (!absl::SimpleAtoi(key.sort_key, &revision)) {
      return InvalidArgumentError({{"page_token", "is malformed"}});
    }
    before = revision;
  }
  std::vector<v1::ArticleRevision> revisions;
  RETURN_IF_ERROR(store_->Run(
      ContentStore::Mode::kRead, [&](ContentTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<v1::Article> article,
                         tx.FindArticle(r.parent(), false, false));
        if (!article) return ArticleNotFound();
        ASSIGN_OR_RETURN(revisions,
                         tx.ListRevisions(r.parent(), before, limit + 1));
        return absl::OkStatus();
      }));
  v1::ListArticleRevisionsResponse response;
  const bool more = static_cast<int>(revisions.size()) > limit;
  if (more) revisions.resize(limit);
  for (v1::ArticleRevision& revision : revisions) {
    *response.add_revisions() = std::move(revision);
  }
  if (more) {
    std::optional<RevisionName> last =
        ParseRevisionName(response.revisions(limit - 1).name());
    if (!last) return absl::InternalError("revision: malformed stored name");
    response.set_next_page_token(
        requests::EncodePageToken({absl::StrCat(last->revision), ""}, filters));
  }
  return response;
}

}  // namespace training::content

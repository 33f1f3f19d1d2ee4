#include "services/content/handler.h"

#include "common/time/deadline.h"

namespace training::content {
namespace {

Caller CallerOf(const runtime::CallContext& context) {
  using Kind = auth::Principal::Kind;
  const auth::Principal& principal = context.principal();
  Caller caller;
  caller.admin = principal.kind == Kind::kAdmin;
  caller.key_name = principal.key_name;
  if (principal.kind == Kind::kManageToken) {
    caller.manage_token = principal.manage_token;
  }
  caller.request_id = context.request_id();
  caller.traceparent = context.trace().ToHeader();
  caller.tracestate = context.trace().tracestate;
  return caller;
}

template <typename Object, typename Request, typename Response>
void Bind(runtime::Dispatcher& dispatcher, const std::string& method,
          Object* object,
          absl::StatusOr<Response> (Object::*serve)(const Caller&,
                                                    const Request&)) {
  runtime::BindMember(dispatcher, method, object, serve, &CallerOf);
}

}  // namespace

void RegisterContentHandlers(runtime::Dispatcher& d, ArticleEditor* editor,
                             ArticleReader* reader, runtime::WorkerPool* pool) {
  Bind(d, "CreateArticle", editor, &ArticleEditor::CreateArticle);
  Bind(d, "UpdateArticle", editor, &ArticleEditor::UpdateArticle);
  Bind(d, "PublishArticle", editor, &ArticleEditor::PublishArticle);
  Bind(d, "ArchiveArticle", editor, &ArticleEditor::ArchiveArticle);
  Bind(d, "GetArticleRevision", editor, &ArticleEditor::GetArticleRevision);
  Bind(d, "ListArticleRevisions", editor, &ArticleEditor::ListArticleRevisions);
  d.HandleAsyncNonBlocking<v1::GetArticleRequest, v1::Article>(
      "GetArticle", [reader, pool](const runtime::CallContext& context,
                                   const v1::GetArticleRequest& request,
                                   runtime::Reply<v1::Article> reply) {
        const absl::Time deadline = context.deadline();
        reader->GetArticleAsync(
            CallerOf(context), request,
            [pool, deadline](std::function<void()> work) {
              return pool->TrySubmit([deadline, work = std::move(work)] {
                // Waits on the database never outlast the caller's.
                ScopedDeadline scoped(deadline);
                work();
              });
            },
            std::move(reply));
      });
  Bind(d, "ListArticles", reader, &ArticleReader::ListArticles);
  Bind(d, "SearchArticles", reader, &ArticleReader::SearchArticles);
}

}  // namespace training::content

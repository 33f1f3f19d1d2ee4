#ifndef TRAINING_SERVICES_CONTENT_HANDLER_H_
#define TRAINING_SERVICES_CONTENT_HANDLER_H_

// Connects the ContentService RPCs to ArticleEditor (the training team's
// changes) and ArticleReader (reading): the caller's principal becomes a
// Caller (admin keys are admins; a bearer that is no key is passed on as a
// possible manage token), and every request is passed on as it is. Access
// rules were checked by the dispatcher.

#include "common/runtime/dispatcher.h"
#include "services/content/article_editor.h"
#include "services/content/article_reader.h"

namespace training::content {

// Sets a handler for every ContentService method on `dispatcher`.
// GetArticle is answered on gRPC's thread when the article is in memory and
// booking need not be asked, and on `pool` otherwise. Nothing is owned; all
// must outlive the server.
void RegisterContentHandlers(runtime::Dispatcher& dispatcher,
                             ArticleEditor* editor, ArticleReader* reader,
                             runtime::WorkerPool* pool);

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_HANDLER_H_

#ifndef TRAINING_SERVICES_CONTENT_MARKDOWN_H_
#define TRAINING_SERVICES_CONTENT_MARKDOWN_H_

// Article bodies: GitHub-flavoured Markdown (cmark-gfm with its table,
// autolink and strikethrough extensions) rendered to HTML that is safe to
// put into any page as it is:
//   - raw HTML is never passed through: an HTML block or inline tag is shown
//     as the text it is (escaped), never as markup;
//   - a link or image goes only to http:, https: or mailto: (compared after
//     entity decoding, case-insensitively); any other link keeps its text
//     and loses the link, any other image becomes its description.
// The same parse also gives the body's plain text, which search indexes and
// snippets quote. Rendering happens when a revision is written, never per
// read. Thread-safe.

#include <string>

#include "absl/strings/string_view.h"

namespace training::content {

struct RenderedMarkdown {
  std::string html;
  // The words a reader sees: text and code, blocks separated by newlines.
  std::string plain_text;
};

RenderedMarkdown RenderMarkdown(absl::string_view markdown);

// Whether a link or image destination is one articles may point to.
bool IsAllowedUrl(absl::string_view url);

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_MARKDOWN_H_

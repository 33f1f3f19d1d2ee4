#include "services/content/markdown.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace training::content {
namespace {

struct ParserDeleter {
  void operator()(cmark_parser* parser) const { cmark_parser_free(parser); }
};
struct NodeDeleter {
  void operator()(cmark_node* node) const { cmark_node_free(node); }
};
struct IterDeleter {
  void operator()(cmark_iter* iter) const { cmark_iter_free(iter); }
};

// The extensions' registry is global and filled once.
void RegisterExtensions() {
  static std::once_flag once;
  std::call_once(once, [] { cmark_gfm_core_extensions_ensure_registered(); });
}

cmark_node* TextNode(absl::string_view literal) {
  cmark_node* text = cmark_node_new(CMARK_NODE_TEXT);
  cmark_node_set_literal(text, std::string(literal).c_str());
  return text;
}

// The text inside `node` (an image's description).
std::string InnerText(cmark_node* node) {
  std::string out;
  std::unique_ptr<cmark_iter, IterDeleter> iter(cmark_iter_new(node));
  cmark_event_type event;
  while ((event = cmark_iter_next(iter.get())) != CMARK_EVENT_DONE) {
    cmark_node* n = cmark_iter_get_node(iter.get());
    if (event != CMARK_EVENT_ENTER) continue;
    const cmark_node_type type = cmark_node_get_type(n);
    if (type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE) {
      out += cmark_node_get_literal(n);
    }
  }
  return out;
}

// Makes the tree safe: what raw HTML there is becomes text, links and
// images that go anywhere but the allowed schemes lose their destination.
// Nodes are collected first (parents before children) and changed after,
// so the walk never sees a changed tree.
void Neutralise(cmark_node* document) {
  std::vector<cmark_node*> to_fix;
  {
    std::unique_ptr<cmark_iter, IterDeleter> iter(cmark_iter_new(document));
    cmark_event_type event;
    while ((event = cmark_iter_next(iter.get())) != CMARK_EVENT_DONE) {
      if (event != CMARK_EVENT_ENTER) continue;
      cmark_node* node = cmark_iter_get_node(iter.get());
      switch (cmark_node_get_type(node)) {
        case CMARK_NODE_HTML_BLOCK:
        case CMARK_NODE_HTML_INLINE:
          to_fix.push_back(node);
          break;
        case CMARK_NODE_LINK:
        case CMARK_NODE_IMAGE: {
          const char* url = cmark_node_get_url(node);
          if (url == nullptr || !IsAllowedUrl(url)) to_fix.push_back(node);
          break;
        }
        default:
          break;
      }
    }
  }
  // Children before their parents: replacing an image frees everything
  // inside it, so whatever in there needed fixing must be done first.
  for (auto it = to_fix.rbegin(); it != to_fix.rend(); ++it) {
    cmark_node* node = *it;
    switch (cmark_node_get_type(node)) {
      case CMARK_NODE_HTML_INLINE:
        cmark_node_replace(node, TextNode(cmark_node_get_literal(node)));
        cmark_node_free(node);
        break;
      case CMARK_NODE_HTML_BLOCK: {
        cmark_node* paragraph = cmark_node_new(CMARK_NODE_PARAGRAPH);
        cmark_node_append_child(paragraph,
                                TextNode(absl::StripTrailingAsciiWhitespace(
                                    cmark_node_get_literal(node))));
        cmark_node_replace(node, paragraph);
        cmark_node_free(node);
        break;
      }
      case CMARK_NODE_LINK: {
        // The link's text stays where the link was.
        while (cmark_node* child = cmark_node_first_child(node)) {
          cmark_node_insert_before(node, child);
        }
        cmark_node_unlink(node);
        cmark_node_free(node);
        break;
      }
      case CMARK_NODE_IMAGE:
        cmark_node_replace(node, TextNode(InnerText(node)));
        cmark_node_free(node);
        break;
      default:
        break;
    }
  }
}

bool IsBlock(cmark_node_type type) {
  return (type & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_BLOCK;
}

std::string PlainText(cmark_node* document) {
  std::string out;
  auto separate = [&out] {
    if (!out.empty() && out.back() != '\n') out.push_back('\n');
  };
  std::unique_ptr<cmark_iter, IterDeleter> iter(cmark_iter_new(document));
  cmark_event_type event;
  while ((event = cmark_iter_next(iter.get())) != CMARK_EVENT_DONE) {
    cmark_node* node = cmark_iter_get_node(iter.get());
    const cmark_node_type type = cmark_node_get_type(node);
    if (event == CMARK_EVENT_EXIT) {
      if (IsBlock(type)) separate();
      continue;
    }
    switch (type) {
      case CMARK_NODE_TEXT:
      case CMARK_NODE_CODE:
        out += cmark_node_get_literal(node);
        break;
      case CMARK_NODE_CODE_BLOCK:
        separate();
        out += cmark_node_get_literal(node);
        separate();
        break;
      case CMARK_NODE_SOFTBREAK:
      case CMARK_NODE_LINEBREAK:
        out.push_back(' ');
        break;
      default:
        break;
    }
  }
  return std::string(absl::StripTrailingAsciiWhitespace(out));
}

}  // namespace

bool IsAllowedUrl(absl::string_view url) {
  const std::string lower = absl::AsciiStrToLower(url);
  return absl::StartsWith(lower, "https://") ||
         absl::StartsWith(lower, "http://") ||
         absl::StartsWith(lower, "mailto:");
}

RenderedMarkdown RenderMarkdown(absl::string_view markdown) {
  RegisterExtensions();
  // CMARK_OPT_DEFAULT leaves out CMARK_OPT_UNSAFE: cmark's own filter of
  // raw HTML and dangerous URLs stays on behind ours.
  std::unique_ptr<cmark_parser, ParserDeleter> parser(
      cmark_parser_new(CMARK_OPT_DEFAULT));
  for (const char* name : {"table", "autolink", "strikethrough"}) {
    cmark_parser_attach_syntax_extension(parser.get(),
                                         cmark_find_syntax_extension(name));
  }
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  std::unique_ptr<cmark_node, NodeDeleter> document(
      cmark_parser_finish(parser.get()));
  Neutralise(document.get());
  RenderedMarkdown rendered;
  char* html =
      cmark_render_html(document.get(), CMARK_OPT_DEFAULT,
                        cmark_parser_get_syntax_extensions(parser.get()));
  rendered.html = html;
  free(html);
  rendered.plain_text = PlainText(document.get());
  return rendered;
}

}  // namespace training::content

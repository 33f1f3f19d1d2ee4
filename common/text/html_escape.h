#ifndef TRAINING_COMMON_TEXT_HTML_ESCAPE_H_
#define TRAINING_COMMON_TEXT_HTML_ESCAPE_H_

// HTML escaping for element content and quoted attribute values: the five
// characters & < > " ' (as Nunjucks' and Mustache's autoescape do), so that
// text from people or services can never open a tag or leave an attribute.

#include <string>

#include "absl/strings/string_view.h"

namespace training::text {

inline std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace training::text

#endif  // TRAINING_COMMON_TEXT_HTML_ESCAPE_H_

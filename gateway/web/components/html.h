#ifndef TRAINING_GATEWAY_WEB_COMPONENTS_HTML_H_
#define TRAINING_GATEWAY_WEB_COMPONENTS_HTML_H_

// What every GOV.UK Frontend component needs: escaping, the Nunjucks
// notion of a truthy option, and the `attributes` option rendered as the
// package's govukAttributes macro does. Options are JSON objects in the
// shape of the package's own macro options (macro-options.json), with keys
// kept in their order (attributes render in the order given).

#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace training::gateway::web {

using Params = nlohmann::ordered_json;

// HTML-escapes text for an element's content or a quoted attribute value:
// & < > " ' (as Nunjucks' autoescape does).
std::string Escape(absl::string_view text);

// The option `key` of `params`, or null when `params` is not an object or
// has no such key.
const Params& Get(const Params& params, absl::string_view key);

// Nunjucks truthiness: null, false, 0 and "" are false; anything else,
// empty objects and arrays included, is true.
bool Truthy(const Params& value);
inline bool Has(const Params& params, absl::string_view key) {
  return Truthy(Get(params, key));
}

// The option as text (a number as written, null as ""), not escaped.
std::string Str(const Params& params, absl::string_view key);

// `html` raw and trimmed when given, else `text` escaped: the components'
// `params.html | safe | trim if params.html else params.text`.
std::string HtmlOr(const Params& params, absl::string_view html_key = "html",
                   absl::string_view text_key = "text");

// " " + classes when the option is set, else "".
std::string ClassesSuffix(const Params& params,
                          absl::string_view key = "classes");

// The govukAttributes macro: ` name="value"` for each entry in order;
// an entry {value, optional: true} renders ` name` when the value is true
// and nothing when it is null or false.
std::string Attributes(const Params& attributes);

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_COMPONENTS_HTML_H_

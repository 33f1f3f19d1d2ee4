#ifndef TRAINING_SERVICES_NOTIFICATION_TEMPLATE_RENDER_H_
#define TRAINING_SERVICES_NOTIFICATION_TEMPLATE_RENDER_H_

// Message templates in GOV.UK Notify's placeholder syntax, which the
// notification pipelines that read this suite already know:
//
//   ((first_name))                 the value
//   ((has_access_needs??We will call you about your access needs.))
//                                  the text when the value is "yes" or
//                                  "true", nothing when "no", "false" or ""
//
// Names are letters, digits and underscores. Plain C++: no gRPC, no SQL.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/text/html_escape.h"

namespace training::notification {

enum class TemplateFormat {
  kPlainText,  // values as they are
  kHtml,       // values HTML-escaped (the template's own text is trusted)
};

// The placeholder names `text` uses; INVALID_ARGUMENT naming the first
// malformed one (unclosed, empty, a name with other characters).
absl::StatusOr<std::set<std::string>> PlaceholdersOf(absl::string_view text);

// The same names, in order of first use.
absl::StatusOr<std::vector<std::string>> PlaceholdersInOrder(
    absl::string_view text);

// Checks a template against the names its message kind provides:
// INVALID_ARGUMENT naming each unknown placeholder.
absl::Status CheckPlaceholders(absl::string_view text,
                               const std::set<std::string>& known);

// Fills `text` in. INVALID_ARGUMENT naming a placeholder without a value,
// or a conditional whose value is not yes/no/true/false/"".
absl::StatusOr<std::string> RenderTemplate(
    absl::string_view text, const std::map<std::string, std::string>& values,
    TemplateFormat format);

// `text` with &, <, >, " and ' as HTML entities.
using ::training::text::HtmlEscape;

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_TEMPLATE_RENDER_H_

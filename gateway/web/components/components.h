#ifndef TRAINING_GATEWAY_WEB_COMPONENTS_COMPONENTS_H_
#define TRAINING_GATEWAY_WEB_COMPONENTS_COMPONENTS_H_

// GOV.UK Frontend's components as C++ functions: each takes the options its
// Nunjucks macro takes (the package's macro-options.json, same names) and
// returns the markup the macro would, so that the package's CSS and
// JavaScript apply unchanged. components_test.cc checks the output against
// the package's own fixtures.json.
//
// Options the suite's pages never pass (formGroup.beforeInput and the like,
// summary cards, input prefixes) are not implemented. Two deliberate
// departures, because the partnership is not a GOV.UK service: the footer
// never renders the crown or the Open Government Licence logo, and the
// header is the package's generic header (no crown).
//
// Pure functions; thread-safe.

#include <string>

#include "gateway/web/components/html.h"

namespace training::gateway::web {

// Form parts.
std::string Label(const Params& params);
std::string Hint(const Params& params);
std::string ErrorMessage(const Params& params);
// `inner_html` is what the macro's caller() would give; "" uses html.
std::string Fieldset(const Params& params, const std::string& inner_html = "");
std::string Input(const Params& params);
std::string Textarea(const Params& params);
std::string Select(const Params& params);
std::string Radios(const Params& params);
std::string Checkboxes(const Params& params);
std::string Button(const Params& params);

// Page parts.
std::string SkipLink(const Params& params);
std::string BackLink(const Params& params);
std::string GenericHeader(const Params& params);
std::string Footer(const Params& params);
std::string Tag(const Params& params);
std::string InsetText(const Params& params);
std::string WarningText(const Params& params);
std::string Panel(const Params& params);
std::string NotificationBanner(const Params& params);
std::string ErrorSummary(const Params& params);
std::string SummaryList(const Params& params);
std::string Pagination(const Params& params);

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_COMPONENTS_COMPONENTS_H_

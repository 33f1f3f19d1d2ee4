#ifndef TRAINING_GATEWAY_WEB_EMBEDDED_TEMPLATES_H_
#define TRAINING_GATEWAY_WEB_EMBEDDED_TEMPLATES_H_

#include <map>
#include <string>

namespace training::gateway::web {

// The pages' Mustache templates (gateway/web/templates), compiled into the
// binary by the build: name without extension → text.
const std::map<std::string, std::string>& EmbeddedTemplates();

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_EMBEDDED_TEMPLATES_H_

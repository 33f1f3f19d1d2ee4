#ifndef TRAINING_SERVICES_NOTIFICATION_DEFAULT_TEMPLATES_H_
#define TRAINING_SERVICES_NOTIFICATION_DEFAULT_TEMPLATES_H_

// The templates the service starts with, one per message kind it sends
// after a booking fact, in plain and friendly English for the partnership's
// Motivational Interviewing programme. Each is revision 1 of the template
// named by DefaultTemplateSlug(kind); the training team edits them through
// UpdateTemplate, which keeps every revision.

#include <string>
#include <vector>

#include "training/notification/v1/resources.pb.h"

namespace training::notification {

struct DefaultTemplate {
  v1::MessageKind kind;
  std::string subject;
  std::string body;
  std::string html_body;  // empty: plain text only
  bool copy_line_manager = false;
};

const std::vector<DefaultTemplate>& DefaultTemplates();

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_DEFAULT_TEMPLATES_H_

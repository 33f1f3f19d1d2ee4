#ifndef TRAINING_SERVICES_NOTIFICATION_TEMPLATES_H_
#define TRAINING_SERVICES_NOTIFICATION_TEMPLATES_H_

// The template RPCs: create, read (at the current revision or any earlier
// one, `templates/{slug}@{revision}`), list, change (a new revision for
// every change to the words), delete an inactive one, preview with sample
// values, and send a test message. A template may use only the
// placeholders its kind provides (message_plan.h): anything else is
// refused when it is saved, never found when a message is sent.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "common/auth/access.h"
#include "common/time/clock.h"
#include "services/notification/message_builder.h"
#include "services/notification/store.h"
#include "training/notification/v1/notification_service.pb.h"

namespace training::notification {

// Sample values for every placeholder of `kind`, for previews and tests.
std::map<std::string, std::string> SampleValues(v1::MessageKind kind,
                                                const SenderConfig& sender);

class Templates {
 public:
  // Neither is owned; both must outlive this.
  Templates(NotificationStore* store, const Clock* clock, SenderConfig sender)
      : store_(store), clock_(clock), sender_(std::move(sender)) {}

  absl::StatusOr<v1::Template> CreateTemplate(
      const auth::Principal&, const v1::CreateTemplateRequest& r);
  absl::StatusOr<v1::Template> GetTemplate(const auth::Principal&,
                                           const v1::GetTemplateRequest& r);
  absl::StatusOr<v1::ListTemplatesResponse> ListTemplates(
      const auth::Principal&, const v1::ListTemplatesRequest& r);
  absl::StatusOr<v1::ListTemplateRevisionsResponse> ListTemplateRevisions(
      const auth::Principal&, const v1::ListTemplateRevisionsRequest& r);
  absl::StatusOr<v1::Template> UpdateTemplate(
      const auth::Principal&, const v1::UpdateTemplateRequest& r);
  absl::StatusOr<google::protobuf::Empty> DeleteTemplate(
      const auth::Principal&, const v1::DeleteTemplateRequest& r);
  absl::StatusOr<v1::PreviewTemplateResponse> PreviewTemplate(
      const auth::Principal&, const v1::PreviewTemplateRequest& r);
  absl::StatusOr<v1::Delivery> SendTestMessage(
      const auth::Principal&, const v1::SendTestMessageRequest& r);

 private:
  // The template and its values for a preview or a test message.
  absl::StatusOr<
      std::pair<TemplateRevision, std::map<std::string, std::string>>>
  Personalised(const std::string& name,
               const google::protobuf::Map<std::string, std::string>& given,
               const char* field);

  NotificationStore* store_;
  const Clock* clock_;
  const SenderConfig sender_;
};

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_TEMPLATES_H_

#include "services/notification/handler.h"

namespace training::notification {
namespace {

auth::Principal PrincipalOf(const runtime::CallContext& context) {
  return context.principal();
}

template <typename Object, typename Request, typename Response>
void Bind(runtime::Dispatcher& dispatcher, const std::string& method,
          Object* object,
          absl::StatusOr<Response> (Object::*serve)(const auth::Principal&,
                                                    const Request&)) {
  runtime::BindMember(dispatcher, method, object, serve, &PrincipalOf);
}

}  // namespace

void RegisterNotificationHandlers(runtime::Dispatcher& d, Templates* t,
                                  DeliveryLog* log, CalendarDownload* download,
                                  Recipients* recipients,
                                  Enquiries* enquiries) {
  Bind(d, "CreateTemplate", t, &Templates::CreateTemplate);
  Bind(d, "GetTemplate", t, &Templates::GetTemplate);
  Bind(d, "ListTemplates", t, &Templates::ListTemplates);
  Bind(d, "ListTemplateRevisions", t, &Templates::ListTemplateRevisions);
  Bind(d, "UpdateTemplate", t, &Templates::UpdateTemplate);
  Bind(d, "DeleteTemplate", t, &Templates::DeleteTemplate);
  Bind(d, "PreviewTemplate", t, &Templates::PreviewTemplate);
  Bind(d, "SendTestMessage", t, &Templates::SendTestMessage);
  Bind(d, "GetDelivery", log, &DeliveryLog::GetDelivery);
  Bind(d, "ListDeliveries", log, &DeliveryLog::ListDeliveries);
  Bind(d, "CountDeliveries", log, &DeliveryLog::CountDeliveries);
  Bind(d, "RetryDelivery", log, &DeliveryLog::RetryDelivery);
  Bind(d, "CancelDelivery", log, &DeliveryLog::CancelDelivery);
  Bind(d, "DownloadBookingCalendar", download,
       &CalendarDownload::DownloadBookingCalendar);
  Bind(d, "OptOutOfFeedback", recipients, &Recipients::OptOutOfFeedback);
  Bind(d, "ListSuppressions", recipients, &Recipients::ListSuppressions);
  Bind(d, "DeleteSuppression", recipients, &Recipients::DeleteSuppression);
  Bind(d, "ExportPersonalData", recipients, &Recipients::ExportPersonalData);
  Bind(d, "CreateEnquiry", enquiries, &Enquiries::CreateEnquiry);
}

}  // namespace training::notification

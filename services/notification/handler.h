#ifndef TRAINING_SERVICES_NOTIFICATION_HANDLER_H_
#define TRAINING_SERVICES_NOTIFICATION_HANDLER_H_

// Connects the NotificationService RPCs to their rooms: templates, the
// delivery log and the calendar download. Access rules were checked by the
// dispatcher.

#include "common/runtime/dispatcher.h"
#include "services/notification/calendar_download.h"
#include "services/notification/delivery_log.h"
#include "services/notification/enquiries.h"
#include "services/notification/recipients.h"
#include "services/notification/templates.h"

namespace training::notification {

// None is owned; all must outlive the server.
void RegisterNotificationHandlers(runtime::Dispatcher& dispatcher,
                                  Templates* templates, DeliveryLog* log,
                                  CalendarDownload* download,
                                  Recipients* recipients, Enquiries* enquiries);

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_HANDLER_H_

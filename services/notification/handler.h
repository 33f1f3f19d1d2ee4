#ifndef TRAINING_SERVICES_NOTIFICATION_HANDLER_H_
#define TRAINING_SERVICES_NOTIFICATION_HANDLER_H_

// Connects the NotificationService RPCs to their rooms: the delivery log
// and the calendar download. Access rules were checked by the dispatcher;
// the template RPCs answer UNIMPLEMENTED until their room lands.

#include "common/runtime/dispatcher.h"
#include "services/notification/calendar_download.h"
#include "services/notification/delivery_log.h"

namespace training::notification {

// Neither is owned; both must outlive the server.
void RegisterNotificationHandlers(runtime::Dispatcher& dispatcher,
                                  DeliveryLog* log, CalendarDownload* download);

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_HANDLER_H_

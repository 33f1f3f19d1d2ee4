#ifndef TRAINING_GATEWAY_TRANSCODE_SUITE_SERVICES_H_
#define TRAINING_GATEWAY_TRANSCODE_SUITE_SERVICES_H_

// The gRPC services the gateway fronts, each with the backend that serves
// it: the one list the gateway and its tests build their routes from.

#include <vector>

#include "gateway/transcode/route_table.h"

namespace training::gateway::transcode {

inline std::vector<RouteTable::Service> SuiteServices() {
  return {{"catalogue", "training.catalogue.v1.CatalogueService"},
          {"booking", "training.booking.v1.BookingService"},
          {"notification", "training.notification.v1.NotificationService"},
          {"notification", "training.notification.v1.WebhookService"},
          {"content", "training.content.v1.ContentService"}};
}

}  // namespace training::gateway::transcode

#endif  // TRAINING_GATEWAY_TRANSCODE_SUITE_SERVICES_H_

#ifndef TRAINING_SERVICES_CATALOGUE_HANDLER_H_
#define TRAINING_SERVICES_CATALOGUE_HANDLER_H_

// Connects the CatalogueService RPCs to Catalogue: the caller's principal
// becomes a Caller (admins and services are privileged), and every request
// is passed on as it is. Access rules were checked by the dispatcher.

#include "common/runtime/dispatcher.h"
#include "services/catalogue/catalogue.h"

namespace training::catalogue {

// Sets a handler for every CatalogueService method on `dispatcher`.
// `catalogue` is not owned and must outlive the server.
void RegisterCatalogueHandlers(runtime::Dispatcher& dispatcher,
                               Catalogue* catalogue);

}  // namespace training::catalogue

#endif  // TRAINING_SERVICES_CATALOGUE_HANDLER_H_

#ifndef TRAINING_SERVICES_BOOKING_HANDLER_H_
#define TRAINING_SERVICES_BOOKING_HANDLER_H_

// Connects the BookingService RPCs to Bookings: the principal becomes a
// Caller (a bearer that is no key is a manage token to be checked against
// the booking). Access rules were checked by the dispatcher.

#include "common/runtime/dispatcher.h"
#include "services/booking/bookings.h"
#include "services/booking/internal_lookups.h"
#include "services/booking/records.h"

namespace training::booking {

// Sets handlers for the RPCs Bookings, Records and InternalLookups serve.
// None is owned; all must outlive the server.
void RegisterBookingHandlers(runtime::Dispatcher& dispatcher,
                             Bookings* bookings, Records* records,
                             InternalLookups* lookups);

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_HANDLER_H_

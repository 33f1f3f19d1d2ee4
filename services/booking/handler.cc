#include "services/booking/handler.h"

namespace training::booking {
namespace {

Caller CallerOf(const runtime::CallContext& context) {
  using Kind = auth::Principal::Kind;
  const auth::Principal& principal = context.principal();
  Caller caller;
  switch (principal.kind) {
    case Kind::kAnonymous:
      caller.kind = Caller::Kind::kPublic;
      break;
    case Kind::kAgency:
      caller.kind = Caller::Kind::kAgency;
      caller.organisation = principal.organisation;
      break;
    case Kind::kAdmin:
      caller.kind = Caller::Kind::kAdmin;
      break;
    case Kind::kService:
      caller.kind = Caller::Kind::kService;
      break;
    case Kind::kManageToken:
      caller.kind = Caller::Kind::kTokenHolder;
      caller.manage_token = principal.manage_token;
      break;
  }
  caller.request_id = context.request_id();
  caller.traceparent = context.trace().ToHeader();
  caller.tracestate = context.trace().tracestate;
  caller.deadline = context.deadline();
  return caller;
}

template <typename Object, typename Request, typename Response>
void Bind(runtime::Dispatcher& dispatcher, const std::string& method,
          Object* object,
          absl::StatusOr<Response> (Object::*serve)(const Caller&,
                                                    const Request&)) {
  runtime::BindMember(dispatcher, method, object, serve, &CallerOf);
}

}  // namespace

void RegisterBookingHandlers(runtime::Dispatcher& d, Bookings* b,
                             Records* records, InternalLookups* lookups) {
  // Queued on gRPC's thread (Bookings hands what may block to the worker
  // pool) and answered once the booking's batch commits, by the committing
  // thread or the queue's replier, so that no worker wakes or sleeps per
  // booking.
  d.HandleAsyncNonBlocking<v1::CreateBookingRequest, v1::Booking>(
      "CreateBooking", [b](const runtime::CallContext& context,
                           const v1::CreateBookingRequest& request,
                           runtime::Reply<v1::Booking> reply) {
        b->CreateBookingAsync(CallerOf(context), request, std::move(reply));
      });
  Bind(d, "GetBooking", b, &Bookings::GetBooking);
  Bind(d, "ListBookings", b, &Bookings::ListBookings);
  Bind(d, "CancelBooking", b, &Bookings::CancelBooking);
  Bind(d, "SubstituteAttendee", b, &Bookings::SubstituteAttendee);
  Bind(d, "LeaveWaitlist", b, &Bookings::LeaveWaitlist);
  Bind(d, "AcceptOffer", b, &Bookings::AcceptOffer);
  Bind(d, "DeclineOffer", b, &Bookings::DeclineOffer);
  // Answered on gRPC's thread when every figure is in this replica's
  // memory; handed to the worker pool otherwise.
  d.HandleAsyncNonBlocking<v1::BatchGetAvailabilityRequest,
                           v1::BatchGetAvailabilityResponse>(
      "BatchGetAvailability",
      [b](const runtime::CallContext& context,
          const v1::BatchGetAvailabilityRequest& request,
          runtime::Reply<v1::BatchGetAvailabilityResponse> reply) {
        b->BatchGetAvailabilityAsync(CallerOf(context), request,
                                     std::move(reply));
      });
  Bind(d, "ErasePersonalData", b, &Bookings::ErasePersonalData);
  Bind(d, "GetRegister", records, &Records::GetRegister);
  Bind(d, "BatchRecordAttendance", records, &Records::BatchRecordAttendance);
  Bind(d, "ListParticipationSummaries", records,
       &Records::ListParticipationSummaries);
  Bind(d, "GetReachReport", records, &Records::GetReachReport);
  Bind(d, "ExportReachReport", records, &Records::ExportReachReport);
  Bind(d, "ExportPersonalData", records, &Records::ExportPersonalData);
  Bind(d, "GetAttendeeContact", lookups, &InternalLookups::GetAttendeeContact);
  Bind(d, "ListSessionBookings", lookups,
       &InternalLookups::ListSessionBookings);
  Bind(d, "CheckBookingAccess", lookups, &InternalLookups::CheckBookingAccess);
}

}  // namespace training::booking

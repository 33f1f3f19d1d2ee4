#include "services/notification/directory.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status/grpc_status.h"
#include "common/time/proto_time.h"

namespace training::notification {

namespace booking = training::booking::v1;
namespace catalogue = training::catalogue::v1;

GrpcDirectory::GrpcDirectory(std::shared_ptr<grpc::Channel> booking_channel,
                             std::shared_ptr<grpc::Channel> catalogue_channel,
                             std::string service_key, absl::Duration timeout)
    : booking_(booking::BookingService::NewStub(std::move(booking_channel))),
      catalogue_(
          catalogue::CatalogueService::NewStub(std::move(catalogue_channel))),
      service_key_(std::move(service_key)),
      timeout_(timeout) {}

void GrpcDirectory::Prepare(grpc::ClientContext& context) const {
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  context.AddMetadata("authorization", "Bearer " + service_key_);
}

absl::StatusOr<booking::AttendeeContact> GrpcDirectory::Contact(
    const std::string& name, const std::string& previous_contact_id) {
  booking::GetAttendeeContactRequest request;
  request.set_booking(name);
  request.set_previous_contact_id(previous_contact_id);
  booking::AttendeeContact contact;
  grpc::ClientContext context;
  Prepare(context);
  grpc::Status status =
      booking_->GetAttendeeContact(&context, request, &contact);
  if (!status.ok()) return FromGrpcStatus(status);
  return contact;
}

absl::StatusOr<booking::ListSessionBookingsResponse>
GrpcDirectory::ConfirmedBookings(const std::string& session,
                                 const std::string& page_token) {
  booking::ListSessionBookingsRequest request;
  request.set_session(session);
  request.add_states(booking::Booking::CONFIRMED);
  request.set_page_token(page_token);
  request.set_page_size(200);
  booking::ListSessionBookingsResponse response;
  grpc::ClientContext context;
  Prepare(context);
  grpc::Status status =
      booking_->ListSessionBookings(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<SessionDetails> GrpcDirectory::Session(const std::string& name,
                                                      bool with_joining_link) {
  catalogue::GetSessionRequest request;
  request.set_name(name);
  catalogue::Session session;
  {
    grpc::ClientContext context;
    Prepare(context);
    grpc::Status status = catalogue_->GetSession(&context, request, &session);
    if (!status.ok()) return FromGrpcStatus(status);
  }
  SessionDetails details;
  details.title =
      session.title().empty() ? session.course_title() : session.title();
  details.start = FromProto(session.start_time());
  details.end = FromProto(session.end_time());
  details.time_zone =
      session.time_zone().empty() ? "Europe/London" : session.time_zone();
  details.online = session.delivery_mode() == catalogue::ONLINE;
  details.cancellation_reason = session.cancellation_reason();
  details.cancelled = session.state() == catalogue::Session::CANCELLED;
  details.course = name.substr(0, name.find("/sessions/"));
  if (!session.venue().empty()) {
    catalogue::GetVenueRequest venue_request;
    venue_request.set_name(session.venue());
    catalogue::Venue venue;
    grpc::ClientContext context;
    Prepare(context);
    grpc::Status status = catalogue_->GetVenue(&context, venue_request, &venue);
    if (!status.ok()) return FromGrpcStatus(status);
    std::vector<std::string> parts = {venue.display_name()};
    parts.insert(parts.end(), venue.address_lines().begin(),
                 venue.address_lines().end());
    parts.push_back(venue.locality());
    parts.push_back(venue.postcode());
    details.address = absl::StrJoin(parts, ", ");
  }
  if (details.online && with_joining_link && session.has_joining_details()) {
    catalogue::GetSessionJoiningDetailsRequest joining_request;
    joining_request.set_name(name);
    catalogue::JoiningDetails joining;
    grpc::ClientContext context;
    Prepare(context);
    grpc::Status status = catalogue_->GetSessionJoiningDetails(
        &context, joining_request, &joining);
    if (status.ok()) {
      details.joining_url = joining.joining_url();
    } else if (status.error_code() != grpc::StatusCode::NOT_FOUND) {
      return FromGrpcStatus(status);
    }
  }
  return details;
}

absl::StatusOr<booking::BookingAccess> GrpcDirectory::CheckAccess(
    const std::string& name, const std::string& manage_token) {
  booking::CheckBookingAccessRequest request;
  request.set_booking(name);
  request.set_manage_token(manage_token);
  booking::BookingAccess access;
  grpc::ClientContext context;
  Prepare(context);
  grpc::Status status =
      booking_->CheckBookingAccess(&context, request, &access);
  if (!status.ok()) return FromGrpcStatus(status);
  return access;
}

absl::StatusOr<std::string> GrpcDirectory::CourseTitle(
    const std::string& name) {
  catalogue::GetCourseRequest request;
  request.set_name(name);
  catalogue::Course course;
  grpc::ClientContext context;
  Prepare(context);
  grpc::Status status = catalogue_->GetCourse(&context, request, &course);
  if (!status.ok()) return FromGrpcStatus(status);
  return course.title();
}

absl::StatusOr<std::optional<std::string>> GrpcDirectory::NoShowPolicy(
    const std::string& name) {
  catalogue::GetCourseRequest request;
  request.set_name(name);
  catalogue::Course course;
  grpc::ClientContext context;
  Prepare(context);
  grpc::Status status = catalogue_->GetCourse(&context, request, &course);
  if (!status.ok()) return FromGrpcStatus(status);
  const catalogue::NoShowPolicy& policy = course.no_show_policy();
  if (!course.has_no_show_policy() ||
      (policy.max_no_shows() == 0 && policy.description().empty())) {
    return std::nullopt;
  }
  return policy.description();
}

}  // namespace training::notification

#include "gateway/web/suite_client.h"

#include "absl/time/clock.h"
#include "common/status/grpc_status.h"

namespace training::gateway::web {
namespace {

template <typename Stub, typename Request, typename Response>
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&,
                                      Response*);

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Call(Stub* stub,
                              Method<Stub, Request, Response> method,
                              const Request& request, const PageCall& call,
                              absl::Duration deadline) {
  if (stub == nullptr) {
    return absl::UnavailableError("the service is not configured");
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  if (!call.request_id.empty()) {
    context.AddMetadata("x-request-id", call.request_id);
  }
  if (!call.authorization.empty()) {
    context.AddMetadata("authorization", call.authorization);
  }
  Response response;
  grpc::Status status = (stub->*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

template <typename Service>
std::unique_ptr<typename Service::Stub> StubFor(const Backends& backends,
                                                const std::string& name) {
  std::shared_ptr<grpc::Channel> channel = backends.Channel(name);
  return channel == nullptr ? nullptr : Service::NewStub(channel);
}

}  // namespace

SuiteClient::SuiteClient(const Backends& backends, absl::Duration read_deadline,
                         absl::Duration write_deadline)
    : catalogue_(StubFor<catalogue::CatalogueService>(backends, "catalogue")),
      booking_(StubFor<booking::BookingService>(backends, "booking")),
      content_(StubFor<content::ContentService>(backends, "content")),
      notification_(
          StubFor<notification::NotificationService>(backends, "notification")),
      read_deadline_(read_deadline),
      write_deadline_(write_deadline) {}

absl::StatusOr<catalogue::ListCoursesResponse> SuiteClient::ListCourses(
    const catalogue::ListCoursesRequest& request, const PageCall& call) {
  return Call(catalogue_.get(), &catalogue::CatalogueService::Stub::ListCourses,
              request, call, read_deadline_);
}

absl::StatusOr<catalogue::Course> SuiteClient::GetCourse(
    const std::string& name, const PageCall& call) {
  catalogue::GetCourseRequest request;
  request.set_name(name);
  return Call(catalogue_.get(), &catalogue::CatalogueService::Stub::GetCourse,
              request, call, read_deadline_);
}

absl::StatusOr<catalogue::ListSessionsResponse> SuiteClient::ListSessions(
    const catalogue::ListSessionsRequest& request, const PageCall& call) {
  return Call(catalogue_.get(),
              &catalogue::CatalogueService::Stub::ListSessions, request, call,
              read_deadline_);
}

absl::StatusOr<catalogue::Session> SuiteClient::GetSession(
    const std::string& name, const PageCall& call) {
  catalogue::GetSessionRequest request;
  request.set_name(name);
  return Call(catalogue_.get(), &catalogue::CatalogueService::Stub::GetSession,
              request, call, read_deadline_);
}

absl::StatusOr<catalogue::Venue> SuiteClient::GetVenue(const std::string& name,
                                                       const PageCall& call) {
  catalogue::GetVenueRequest request;
  request.set_name(name);
  return Call(catalogue_.get(), &catalogue::CatalogueService::Stub::GetVenue,
              request, call, read_deadline_);
}

absl::StatusOr<catalogue::Trainer> SuiteClient::GetTrainer(
    const std::string& name, const PageCall& call) {
  catalogue::GetTrainerRequest request;
  request.set_name(name);
  return Call(catalogue_.get(), &catalogue::CatalogueService::Stub::GetTrainer,
              request, call, read_deadline_);
}

absl::StatusOr<std::vector<booking::Availability>> SuiteClient::Availability(
    const std::vector<std::string>& sessions, const PageCall& call) {
  if (sessions.empty()) return std::vector<booking::Availability>();
  booking::BatchGetAvailabilityRequest request;
  for (const std::string& s : sessions) request.add_sessions(s);
  absl::StatusOr<booking::BatchGetAvailabilityResponse> response =
      Call(booking_.get(), &booking::BookingService::Stub::BatchGetAvailability,
           request, call, read_deadline_);
  if (!response.ok()) return response.status();
  // One per session asked, in order, as the contract says: the pages index
  // by position.
  if (static_cast<size_t>(response->availabilities_size()) != sessions.size()) {
    return absl::InternalError("booking answered availability for " +
                               std::to_string(response->availabilities_size()) +
                               " sessions, not " +
                               std::to_string(sessions.size()));
  }
  return std::vector<booking::Availability>(response->availabilities().begin(),
                                            response->availabilities().end());
}

absl::StatusOr<booking::Booking> SuiteClient::CreateBooking(
    const booking::CreateBookingRequest& request, const PageCall& call) {
  return Call(booking_.get(), &booking::BookingService::Stub::CreateBooking,
              request, call, write_deadline_);
}

absl::StatusOr<booking::Booking> SuiteClient::GetBooking(
    const std::string& name, const PageCall& call) {
  booking::GetBookingRequest request;
  request.set_name(name);
  return Call(booking_.get(), &booking::BookingService::Stub::GetBooking,
              request, call, read_deadline_);
}

absl::StatusOr<booking::Booking> SuiteClient::CancelBooking(
    const booking::CancelBookingRequest& request, const PageCall& call) {
  return Call(booking_.get(), &booking::BookingService::Stub::CancelBooking,
              request, call, write_deadline_);
}

absl::StatusOr<booking::Booking> SuiteClient::SubstituteAttendee(
    const booking::SubstituteAttendeeRequest& request, const PageCall& call) {
  return Call(booking_.get(),
              &booking::BookingService::Stub::SubstituteAttendee, request, call,
              write_deadline_);
}

absl::StatusOr<booking::Booking> SuiteClient::LeaveWaitlist(
    const booking::LeaveWaitlistRequest& request, const PageCall& call) {
  return Call(booking_.get(), &booking::BookingService::Stub::LeaveWaitlist,
              request, call, write_deadline_);
}

absl::StatusOr<booking::Booking> SuiteClient::AcceptOffer(
    const booking::AcceptOfferRequest& request, const PageCall& call) {
  return Call(booking_.get(), &booking::BookingService::Stub::AcceptOffer,
              request, call, write_deadline_);
}

absl::StatusOr<booking::Booking> SuiteClient::DeclineOffer(
    const booking::DeclineOfferRequest& request, const PageCall& call) {
  return Call(booking_.get(), &booking::BookingService::Stub::DeclineOffer,
              request, call, write_deadline_);
}

absl::StatusOr<content::Article> SuiteClient::GetArticle(
    const std::string& name, const PageCall& call) {
  content::GetArticleRequest request;
  request.set_name(name);
  return Call(content_.get(), &content::ContentService::Stub::GetArticle,
              request, call, read_deadline_);
}

absl::StatusOr<content::Article> SuiteClient::GetArticle(
    const content::GetArticleRequest& request, const PageCall& call) {
  return Call(content_.get(), &content::ContentService::Stub::GetArticle,
              request, call, read_deadline_);
}

absl::StatusOr<content::ListArticlesResponse> SuiteClient::ListArticles(
    const content::ListArticlesRequest& request, const PageCall& call) {
  return Call(content_.get(), &content::ContentService::Stub::ListArticles,
              request, call, read_deadline_);
}

absl::StatusOr<content::SearchArticlesResponse> SuiteClient::SearchArticles(
    const content::SearchArticlesRequest& request, const PageCall& call) {
  return Call(content_.get(), &content::ContentService::Stub::SearchArticles,
              request, call, read_deadline_);
}

absl::StatusOr<notification::Enquiry> SuiteClient::CreateEnquiry(
    const notification::CreateEnquiryRequest& request, const PageCall& call) {
  return Call(notification_.get(),
              &notification::NotificationService::Stub::CreateEnquiry, request,
              call, write_deadline_);
}

absl::StatusOr<google::api::HttpBody> SuiteClient::DownloadBookingCalendar(
    const std::string& booking, const PageCall& call) {
  notification::DownloadBookingCalendarRequest request;
  request.set_booking(booking);
  return Call(notification_.get(),
              &notification::NotificationService::Stub::DownloadBookingCalendar,
              request, call, read_deadline_);
}

}  // namespace training::gateway::web

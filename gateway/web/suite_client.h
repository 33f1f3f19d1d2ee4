#ifndef TRAINING_GATEWAY_WEB_SUITE_CLIENT_H_
#define TRAINING_GATEWAY_WEB_SUITE_CLIENT_H_

// The calls the pages make to the services, blocking, each with a
// deadline: the pages run on the web worker pool, never on the HTTP
// server's threads. Errors come back as absl::Status with the services'
// details (field violations, ErrorInfo) intact. Thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/upstream/backends.h"
#include "training/booking/v1/booking_service.grpc.pb.h"
#include "training/catalogue/v1/catalogue_service.grpc.pb.h"
#include "training/content/v1/content_service.grpc.pb.h"
#include "training/notification/v1/notification_service.grpc.pb.h"

namespace training::gateway::web {

namespace catalogue = ::training::catalogue::v1;
namespace booking = ::training::booking::v1;
namespace content = ::training::content::v1;
namespace notification = ::training::notification::v1;

// What every call of one page request carries.
struct PageCall {
  std::string request_id{};     // x-request-id, for the services' logs
  std::string authorization{};  // "Bearer <manage token>" or ""
};

class SuiteClient {
 public:
  SuiteClient(const Backends& backends, absl::Duration read_deadline,
              absl::Duration write_deadline);

  absl::StatusOr<catalogue::ListCoursesResponse> ListCourses(
      const catalogue::ListCoursesRequest& request, const PageCall& call);
  absl::StatusOr<catalogue::Course> GetCourse(const std::string& name,
                                              const PageCall& call);
  absl::StatusOr<catalogue::ListSessionsResponse> ListSessions(
      const catalogue::ListSessionsRequest& request, const PageCall& call);
  absl::StatusOr<catalogue::Session> GetSession(const std::string& name,
                                                const PageCall& call);
  absl::StatusOr<catalogue::Venue> GetVenue(const std::string& name,
                                            const PageCall& call);
  absl::StatusOr<catalogue::Trainer> GetTrainer(const std::string& name,
                                                const PageCall& call);
  // One per session, in order; an empty list asks nothing.
  absl::StatusOr<std::vector<booking::Availability>> Availability(
      const std::vector<std::string>& sessions, const PageCall& call);
  absl::StatusOr<booking::Booking> CreateBooking(
      const booking::CreateBookingRequest& request, const PageCall& call);
  absl::StatusOr<booking::Booking> GetBooking(const std::string& name,
                                              const PageCall& call);
  // The changes a booking's holder makes (call.authorization carries the
  // manage token).
  absl::StatusOr<booking::Booking> CancelBooking(
      const booking::CancelBookingRequest& request, const PageCall& call);
  absl::StatusOr<booking::Booking> SubstituteAttendee(
      const booking::SubstituteAttendeeRequest& request, const PageCall& call);
  absl::StatusOr<booking::Booking> LeaveWaitlist(
      const booking::LeaveWaitlistRequest& request, const PageCall& call);
  absl::StatusOr<booking::Booking> AcceptOffer(
      const booking::AcceptOfferRequest& request, const PageCall& call);
  absl::StatusOr<booking::Booking> DeclineOffer(
      const booking::DeclineOfferRequest& request, const PageCall& call);
  absl::StatusOr<content::Article> GetArticle(const std::string& name,
                                              const PageCall& call);
  // `request.booking` with the holder's token as call.authorization opens
  // what that booking gives.
  absl::StatusOr<content::Article> GetArticle(
      const content::GetArticleRequest& request, const PageCall& call);
  absl::StatusOr<content::ListArticlesResponse> ListArticles(
      const content::ListArticlesRequest& request, const PageCall& call);
  absl::StatusOr<content::SearchArticlesResponse> SearchArticles(
      const content::SearchArticlesRequest& request, const PageCall& call);
  absl::StatusOr<notification::Enquiry> CreateEnquiry(
      const notification::CreateEnquiryRequest& request, const PageCall& call);
  absl::StatusOr<google::api::HttpBody> DownloadBookingCalendar(
      const std::string& booking, const PageCall& call);

 private:
  std::unique_ptr<catalogue::CatalogueService::Stub> catalogue_;
  std::unique_ptr<booking::BookingService::Stub> booking_;
  std::unique_ptr<content::ContentService::Stub> content_;
  std::unique_ptr<notification::NotificationService::Stub> notification_;
  absl::Duration read_deadline_;
  absl::Duration write_deadline_;
};

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_SUITE_CLIENT_H_

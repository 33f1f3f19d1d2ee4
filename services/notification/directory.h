#ifndef TRAINING_SERVICES_NOTIFICATION_DIRECTORY_H_
#define TRAINING_SERVICES_NOTIFICATION_DIRECTORY_H_

// What the notification service asks the other services, behind one
// interface so that the composer can be tested without them: booking's
// internal look-ups (contacts, a session's bookings, the manage-token
// check) and the catalogue's session, venue and joining details.
// GrpcDirectory calls them with the service's own key and a deadline.

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "services/notification/personalisation.h"
#include "training/booking/v1/booking_service.grpc.pb.h"
#include "training/catalogue/v1/catalogue_service.grpc.pb.h"

namespace training::notification {

class Directory {
 public:
  virtual ~Directory() = default;
  // NOT_FOUND when booking holds no such person any more.
  virtual absl::StatusOr<training::booking::v1::AttendeeContact> Contact(
      const std::string& booking, const std::string& previous_contact_id) = 0;
  virtual absl::StatusOr<training::booking::v1::ListSessionBookingsResponse>
  ConfirmedBookings(const std::string& session,
                    const std::string& page_token) = 0;
  // The session as messages describe it; the joining link only when
  // `with_joining_link` (for confirmed attendees) and one is on file.
  virtual absl::StatusOr<SessionDetails> Session(const std::string& session,
                                                 bool with_joining_link) = 0;
  virtual absl::StatusOr<training::booking::v1::BookingAccess> CheckAccess(
      const std::string& booking, const std::string& manage_token) = 0;
  // A course's title (waiting lists for any date of it).
  virtual absl::StatusOr<std::string> CourseTitle(
      const std::string& course) = 0;
  // The course's no-show policy as shown to people (its description, which
  // may be empty); nullopt when the course has none.
  virtual absl::StatusOr<std::optional<std::string>> NoShowPolicy(
      const std::string& course) = 0;
};

class GrpcDirectory final : public Directory {
 public:
  GrpcDirectory(std::shared_ptr<grpc::Channel> booking,
                std::shared_ptr<grpc::Channel> catalogue,
                std::string service_key, absl::Duration timeout);

  absl::StatusOr<training::booking::v1::AttendeeContact> Contact(
      const std::string& booking,
      const std::string& previous_contact_id) override;
  absl::StatusOr<training::booking::v1::ListSessionBookingsResponse>
  ConfirmedBookings(const std::string& session,
                    const std::string& page_token) override;
  absl::StatusOr<SessionDetails> Session(const std::string& session,
                                         bool with_joining_link) override;
  absl::StatusOr<training::booking::v1::BookingAccess> CheckAccess(
      const std::string& booking, const std::string& manage_token) override;
  absl::StatusOr<std::string> CourseTitle(const std::string& course) override;
  absl::StatusOr<std::optional<std::string>> NoShowPolicy(
      const std::string& course) override;

 private:
  void Prepare(grpc::ClientContext& context) const;

  std::unique_ptr<training::booking::v1::BookingService::Stub> booking_;
  std::unique_ptr<training::catalogue::v1::CatalogueService::Stub> catalogue_;
  const std::string service_key_;
  const absl::Duration timeout_;
};

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_DIRECTORY_H_

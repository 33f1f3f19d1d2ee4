#ifndef TRAINING_SERVICES_BOOKING_CATALOGUE_DIRECTORY_H_
#define TRAINING_SERVICES_BOOKING_CATALOGUE_DIRECTORY_H_

// SessionDirectory over the catalogue's gRPC API, called with booking's own
// service key, the caller's request id and trace, and a deadline: the
// configured timeout, or the caller's own deadline when that comes first.

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "services/booking/bookings.h"
#include "training/catalogue/v1/catalogue_service.grpc.pb.h"

namespace training::booking {

class CatalogueDirectory final : public SessionDirectory {
 public:
  CatalogueDirectory(std::shared_ptr<grpc::Channel> channel,
                     std::string service_key, absl::Duration timeout);

  // SessionDirectory:
  absl::StatusOr<std::pair<SessionFacts, CourseRules>> Lookup(
      const std::string& session, const Caller& caller) override;

 private:
  void Prepare(grpc::ClientContext& context, const Caller& caller) const;

  std::unique_ptr<training::catalogue::v1::CatalogueService::Stub> stub_;
  const std::string service_key_;
  const absl::Duration timeout_;
};

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_CATALOGUE_DIRECTORY_H_

#ifndef TRAINING_SERVICES_CATALOGUE_CATALOGUE_H_
#define TRAINING_SERVICES_CATALOGUE_CATALOGUE_H_

// The catalogue's operations, one per RPC, free of gRPC: each validates the
// request with the domain rules, runs in one store transaction together
// with its idempotency record and events, and returns the resource as shown
// to the caller. The handler only maps callers and statuses.
//
// Visibility: courses in DRAFT, and their sessions, exist only for
// privileged callers (admins and other services); everyone else gets
// NOT_FOUND, as if they did not exist.
//
// Thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "common/time/clock.h"
#include "services/catalogue/store.h"
#include "training/catalogue/v1/catalogue_service.pb.h"

namespace training::catalogue {

// Who is asking, as far as the catalogue cares, and what to stamp on the
// events a change causes.
struct Caller {
  // Admins and services: see drafts, may list unpublished courses.
  bool privileged = false;
  std::string request_id;
  std::string traceparent;
  std::string tracestate;
};

class Catalogue {
 public:
  // `store` and `clock` are not owned and must outlive this.
  Catalogue(CatalogueStore* store, const Clock* clock)
      : store_(store), clock_(clock) {}

  absl::StatusOr<v1::Course> CreateCourse(const Caller& caller,
                                          const v1::CreateCourseRequest& r);
  absl::StatusOr<v1::Course> GetCourse(const Caller& caller,
                                       const v1::GetCourseRequest& r);
  absl::StatusOr<v1::ListCoursesResponse> ListCourses(
      const Caller& caller, const v1::ListCoursesRequest& r);
  absl::StatusOr<v1::Course> UpdateCourse(const Caller& caller,
                                          const v1::UpdateCourseRequest& r);
  absl::StatusOr<v1::Course> PublishCourse(const Caller& caller,
                                           const v1::PublishCourseRequest& r);
  absl::StatusOr<v1::Course> ArchiveCourse(const Caller& caller,
                                           const v1::ArchiveCourseRequest& r);

  absl::StatusOr<v1::Session> CreateSession(const Caller& caller,
                                            const v1::CreateSessionRequest& r);
  absl::StatusOr<v1::Session> GetSession(const Caller& caller,
                                         const v1::GetSessionRequest& r);
  absl::StatusOr<v1::ListSessionsResponse> ListSessions(
      const Caller& caller, const v1::ListSessionsRequest& r);
  absl::StatusOr<v1::BatchGetSessionsResponse> BatchGetSessions(
      const Caller& caller, const v1::BatchGetSessionsRequest& r);
  absl::StatusOr<v1::Session> UpdateSession(const Caller& caller,
                                            const v1::UpdateSessionRequest& r);
  absl::StatusOr<v1::Session> CancelSession(const Caller& caller,
                                            const v1::CancelSessionRequest& r);
  absl::StatusOr<v1::Session> SetSessionJoiningDetails(
      const Caller& caller, const v1::SetSessionJoiningDetailsRequest& r);
  absl::StatusOr<v1::JoiningDetails> GetSessionJoiningDetails(
      const Caller& caller, const v1::GetSessionJoiningDetailsRequest& r);

  absl::StatusOr<v1::Trainer> CreateTrainer(const Caller& caller,
                                            const v1::CreateTrainerRequest& r);
  absl::StatusOr<v1::Trainer> GetTrainer(const Caller& caller,
                                         const v1::GetTrainerRequest& r);
  absl::StatusOr<v1::ListTrainersResponse> ListTrainers(
      const Caller& caller, const v1::ListTrainersRequest& r);
  absl::StatusOr<v1::Trainer> UpdateTrainer(const Caller& caller,
                                            const v1::UpdateTrainerRequest& r);
  absl::Status DeleteTrainer(const Caller& caller,
                             const v1::DeleteTrainerRequest& r);

  absl::StatusOr<v1::Venue> CreateVenue(const Caller& caller,
                                        const v1::CreateVenueRequest& r);
  absl::StatusOr<v1::Venue> GetVenue(const Caller& caller,
                                     const v1::GetVenueRequest& r);
  absl::StatusOr<v1::ListVenuesResponse> ListVenues(
      const Caller& caller, const v1::ListVenuesRequest& r);
  absl::StatusOr<v1::Venue> UpdateVenue(const Caller& caller,
                                        const v1::UpdateVenueRequest& r);
  absl::Status DeleteVenue(const Caller& caller,
                           const v1::DeleteVenueRequest& r);

 private:
  // Checks the session's venue and trainers exist; violations on `prefix`.
  absl::Status CheckReferences(CatalogueTransaction& tx,
                               const v1::Session& session,
                               const v1::Session* before);
  // The session as shown now: local times and effective state.
  v1::Session Present(v1::Session session) const;
  absl::StatusOr<StoredSession> FindVisibleSession(CatalogueTransaction& tx,
                                                   const Caller& caller,
                                                   const std::string& name,
                                                   bool lock);

  CatalogueStore* store_;
  const Clock* clock_;
};

}  // namespace training::catalogue

#endif  // TRAINING_SERVICES_CATALOGUE_CATALOGUE_H_

#ifndef TRAINING_SERVICES_CATALOGUE_STORE_H_
#define TRAINING_SERVICES_CATALOGUE_STORE_H_

// What the catalogue needs stored, in domain types (the v1 resources).
// Everything happens inside a CatalogueTransaction, so that a change, its
// idempotency record and its events commit together or not at all.
//
// Resources come back with `etag` set to their stored version. Sessions come
// back with the joined, output-only fields filled in (course_title, area,
// has_joining_details); local times and the effective state are the
// domain's business.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/requests/requests.h"
#include "services/catalogue/domain.h"
#include "training/catalogue/v1/resources.pb.h"
#include "training/events/v1/events.pb.h"

namespace training::catalogue {

// A session and what its visibility depends on.
struct StoredSession {
  v1::Session session;
  v1::Course::State course_state = v1::Course::STATE_UNSPECIFIED;
};

// Filters and position of a ListCourses page.
struct CourseQuery {
  bool published_only = true;
  std::string tag;               // empty: any
  std::optional<PageKey> after;  // keyset position (title key, name)
  int limit = 50;
};

// Filters and position of a ListSessions page. Results are ordered by
// start time, then name.
struct SessionQuery {
  std::string course;  // `courses/{course}`; empty: every course
  absl::Time earliest_start = absl::InfinitePast();
  std::optional<absl::Time> latest_start;                          // exclusive
  v1::DeliveryMode delivery_mode = v1::DELIVERY_MODE_UNSPECIFIED;  // any
  std::string venue;               // `venues/{venue}`; empty: any
  std::string area;                // upper-case district; empty: any
  std::vector<std::string> words;  // lower-case; every one must match
  // Only scheduled sessions that have not ended by `now`.
  bool active_only = true;
  absl::Time now;
  // Sessions of draft courses too (admins and services).
  bool include_draft_courses = false;
  std::optional<PageKey> after;  // keyset position (start micros, name)
  int limit = 50;
};

// A position for name-ordered lists of trainers and venues.
struct NameQuery {
  std::optional<PageKey> after;  // (lower-cased display name, name)
  int limit = 50;
};

using ::training::requests::RequestRecord;

// One transaction's view of the catalogue. Belongs to one thread; valid
// only inside CatalogueStore::Run. Errors are those of common/sql
// (UNAVAILABLE, ABORTED for a conflict to retry, …) plus those named here.
class CatalogueTransaction {
 public:
  virtual ~CatalogueTransaction() = default;
  CatalogueTransaction(const CatalogueTransaction&) = delete;
  CatalogueTransaction& operator=(const CatalogueTransaction&) = delete;

  // Courses. Find* returns nullopt when absent; `lock` keeps the row from
  // changing until the transaction ends (write transactions only).
  virtual absl::StatusOr<std::optional<v1::Course>> FindCourse(
      const std::string& name, bool lock) = 0;
  // ALREADY_EXISTS when the name is taken.
  virtual absl::Status InsertCourse(const v1::Course& course) = 0;
  // Replaces the stored course; returns the new etag. NOT_FOUND when absent.
  virtual absl::StatusOr<std::string> UpdateCourse(
      const v1::Course& course) = 0;
  virtual absl::StatusOr<std::vector<v1::Course>> ListCourses(
      const CourseQuery& query) = 0;

  // Trainers, as courses.
  virtual absl::StatusOr<std::optional<v1::Trainer>> FindTrainer(
      const std::string& name, bool lock) = 0;
  virtual absl::Status InsertTrainer(const v1::Trainer& trainer) = 0;
  virtual absl::StatusOr<std::string> UpdateTrainer(
      const v1::Trainer& trainer) = 0;
  virtual absl::Status DeleteTrainer(const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<v1::Trainer>> ListTrainers(
      const NameQuery& query) = 0;

  // Venues, as courses.
  virtual absl::StatusOr<std::optional<v1::Venue>> FindVenue(
      const std::string& name, bool lock) = 0;
  virtual absl::Status InsertVenue(const v1::Venue& venue) = 0;
  virtual absl::StatusOr<std::string> UpdateVenue(const v1::Venue& venue) = 0;
  virtual absl::Status DeleteVenue(const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<v1::Venue>> ListVenues(
      const NameQuery& query) = 0;

  // How many sessions that are scheduled and have not ended by `now` name
  // the trainer / are held at the venue.
  virtual absl::StatusOr<int64_t> CountActiveSessionsWithTrainer(
      const std::string& trainer, absl::Time now) = 0;
  virtual absl::StatusOr<int64_t> CountActiveSessionsAtVenue(
      const std::string& venue, absl::Time now) = 0;

  // Sessions. The stored form keeps only what the client sets plus state,
  // reason and times; joined fields are filled in on reading.
  virtual absl::StatusOr<std::optional<StoredSession>> FindSession(
      const std::string& name, bool lock) = 0;
  virtual absl::Status InsertSession(const v1::Session& session) = 0;
  virtual absl::StatusOr<std::string> UpdateSession(
      const v1::Session& session) = 0;
  // At most query.limit sessions after query.after.
  virtual absl::StatusOr<std::vector<StoredSession>> ListSessions(
      const SessionQuery& query) = 0;

  // Joining details of an online session; nullopt when none is on file.
  virtual absl::StatusOr<std::optional<v1::JoiningDetails>> FindJoiningDetails(
      const std::string& session) = 0;
  virtual absl::Status PutJoiningDetails(const std::string& session,
                                         const v1::JoiningDetails& details) = 0;
  virtual absl::Status DeleteJoiningDetails(const std::string& session) = 0;

  // Idempotency records of creates, kept for `kRequestRetention`.
  virtual absl::StatusOr<std::optional<RequestRecord>> FindRequest(
      const std::string& request_id, absl::Time now) = 0;
  virtual absl::Status RecordRequest(const std::string& request_id,
                                     const RequestRecord& record,
                                     absl::Time now) = 0;

  // Adds an event to the outbox; it is published only if this commits.
  virtual absl::Status AddEvent(training::events::v1::Event event) = 0;

 protected:
  CatalogueTransaction() = default;
};

// How long a create's request_id is remembered.
inline constexpr absl::Duration kRequestRetention = absl::Hours(24 * 7);

// The catalogue's storage. Thread-safe.
class CatalogueStore {
 public:
  virtual ~CatalogueStore() = default;
  CatalogueStore(const CatalogueStore&) = delete;
  CatalogueStore& operator=(const CatalogueStore&) = delete;

  enum class Mode { kRead, kWrite };

  // Runs `body` in one transaction and commits it when `body` returns OK;
  // rolls back otherwise. A conflict (ABORTED) reruns `body` a few times,
  // so `body` must be safe to run again.
  virtual absl::Status Run(
      Mode mode,
      const std::function<absl::Status(CatalogueTransaction&)>& body) = 0;

 protected:
  CatalogueStore() = default;
};

}  // namespace training::catalogue

#endif  // TRAINING_SERVICES_CATALOGUE_STORE_H_

#include "services/catalogue/catalogue.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/events/outbox.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/text/text.h"
#include "common/time/proto_time.h"

namespace training::catalogue {
namespace {

using ::training::events::v1::Event;

absl::Status NotFound(absl::string_view what) {
  return absl::NotFoundError(absl::StrCat(what, ": not found"));
}

absl::Status Refused(absl::string_view message, std::string reason) {
  return WithErrorInfo(absl::FailedPreconditionError(message),
                       std::move(reason));
}

// An etag that is given must be the current one.
absl::Status CheckEtag(absl::string_view given, absl::string_view current) {
  if (given.empty() || given == current) return absl::OkStatus();
  return WithErrorInfo(
      absl::AbortedError("etag: the resource changed since it was read"),
      "ETAG_MISMATCH");
}

void CheckRequestId(absl::string_view request_id,
                    std::vector<FieldViolation>& out) {
  if (!request_id.empty() && !text::IsUuid(request_id)) {
    out.push_back({"request_id", "must be a UUID"});
  }
}

// Checks `name` is `<collection>/{slug}`; a violation on `field` otherwise.
absl::Status CheckName(absl::string_view name, absl::string_view collection,
                       absl::string_view field) {
  if (SlugOf(name, collection)) return absl::OkStatus();
  return InvalidArgumentError(
      {{std::string(field),
        absl::StrCat("must be ", collection, "/{id} with a valid slug")}});
}

absl::StatusOr<SessionName> CheckSessionName(absl::string_view name,
                                             absl::string_view field) {
  std::optional<SessionName> parsed = ParseSessionName(name);
  if (!parsed) {
    return InvalidArgumentError(
        {{std::string(field), "must be courses/{course}/sessions/{session}"}});
  }
  return *parsed;
}

Event NewEvent(const Caller& caller, const std::string& subject) {
  return events::NewEvent("catalogue", subject, caller.request_id,
                          caller.traceparent, caller.tracestate);
}

// The idempotency of a create: OK(nullopt) when `request_id` is new (or
// empty), the name of what the first request created when it is a retry, and
// INVALID_ARGUMENT when the id was used for a different request.
absl::StatusOr<std::optional<std::string>> ReplayOf(
    CatalogueTransaction& tx, const std::string& request_id,
    const std::string& fingerprint, absl::Time now) {
  if (request_id.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<RequestRecord> record,
                   tx.FindRequest(request_id, now));
  ASSIGN_OR_RETURN(const RequestRecord* replayed,
                   requests::Replayed(record, fingerprint));
  if (replayed == nullptr) return std::nullopt;
  return replayed->resource;
}

absl::Status Remember(CatalogueTransaction& tx, const std::string& request_id,
                      const std::string& fingerprint,
                      const std::string& resource, absl::Time now) {
  if (request_id.empty()) return absl::OkStatus();
  return tx.RecordRequest(request_id, {fingerprint, resource}, now);
}

using ::training::requests::DecodePageToken;
using ::training::requests::EffectivePageSize;
using ::training::requests::EncodePageToken;
using ::training::requests::FiltersFingerprint;

// What makes two creates "the same request": a hash of the whole request.
std::string Fingerprint(const google::protobuf::Message& request) {
  return requests::RequestFingerprint(request);
}

template <typename Response, typename Item>
void FinishPage(std::vector<Item>& items, int limit, Response& response,
                absl::string_view filters,
                const std::function<PageKey(const Item&)>& key_of,
                const std::function<void(Item&)>& add) {
  const bool more = static_cast<int>(items.size()) > limit;
  if (more) items.resize(limit);
  // The token is taken before `add` moves the items into the response.
  if (more && !items.empty()) {
    response.set_next_page_token(
        EncodePageToken(key_of(items.back()), filters));
  }
  for (Item& item : items) add(item);
}

// Trainers and venues are managed alike: slug names, display-name order,
// deletion refused while an active session uses them. Each has a traits
// struct naming its collection and store operations.
struct CourseTraits {
  using Resource = v1::Course;
  static constexpr char kCollection[] = "courses";
  static constexpr char kField[] = "course";
  static void OnCreate(v1::Course& c) { c.set_state(v1::Course::DRAFT); }
  static void Normalize(v1::Course& c) { NormalizeCourse(c); }
  static void Validate(const v1::Course& c, std::vector<FieldViolation>& out) {
    ValidateCourse(c, kField, out);
  }
  static auto Find(CatalogueTransaction& tx, const std::string& name,
                   bool lock) {
    return tx.FindCourse(name, lock);
  }
  static auto Insert(CatalogueTransaction& tx, const v1::Course& c) {
    return tx.InsertCourse(c);
  }
  static auto Update(CatalogueTransaction& tx, const v1::Course& c) {
    return tx.UpdateCourse(c);
  }
};

struct TrainerTraits {
  using Resource = v1::Trainer;
  static constexpr char kCollection[] = "trainers";
  static constexpr char kField[] = "trainer";
  static void OnCreate(v1::Trainer&) {}
  static void Normalize(v1::Trainer&) {}
  static void Validate(const v1::Trainer& t, std::vector<FieldViolation>& out) {
    ValidateTrainer(t, kField, out);
  }
  static auto Find(CatalogueTransaction& tx, const std::string& name,
                   bool lock) {
    return tx.FindTrainer(name, lock);
  }
  static auto Insert(CatalogueTransaction& tx, const v1::Trainer& t) {
    return tx.InsertTrainer(t);
  }
  static auto Update(CatalogueTransaction& tx, const v1::Trainer& t) {
    return tx.UpdateTrainer(t);
  }
  static auto Delete(CatalogueTransaction& tx, const std::string& name) {
    return tx.DeleteTrainer(name);
  }
  static auto InUse(CatalogueTransaction& tx, const std::string& name,
                    absl::Time now) {
    return tx.CountActiveSessionsWithTrainer(name, now);
  }
  static auto List(CatalogueTransaction& tx, const NameQuery& query) {
    return tx.ListTrainers(query);
  }
};

struct VenueTraits {
  using Resource = v1::Venue;
  static constexpr char kCollection[] = "venues";
  static constexpr char kField[] = "venue";
  static void OnCreate(v1::Venue&) {}
  static void Normalize(v1::Venue& v) { NormalizeVenue(v); }
  static void Validate(const v1::Venue& v, std::vector<FieldViolation>& out) {
    ValidateVenue(v, kField, out);
  }
  static auto Find(CatalogueTransaction& tx, const std::string& name,
                   bool lock) {
    return tx.FindVenue(name, lock);
  }
  static auto Insert(CatalogueTransaction& tx, const v1::Venue& v) {
    return tx.InsertVenue(v);
  }
  static auto Update(CatalogueTransaction& tx, const v1::Venue& v) {
    return tx.UpdateVenue(v);
  }
  static auto Delete(CatalogueTransaction& tx, const std::string& name) {
    return tx.DeleteVenue(name);
  }
  static auto InUse(CatalogueTransaction& tx, const std::string& name,
                    absl::Time now) {
    return tx.CountActiveSessionsAtVenue(name, now);
  }
  static auto List(CatalogueTransaction& tx, const NameQuery& query) {
    return tx.ListVenues(query);
  }
};

template <typename Traits, typename Request>
absl::StatusOr<typename Traits::Resource> CreateNamed(
    CatalogueStore& store, absl::Time now, const std::string& id,
    typename Traits::Resource resource, const Request& request) {
  std::vector<FieldViolation> violations;
  if (!IsValidSlug(id)) {
    violations.push_back({absl::StrCat(Traits::kField, "_id"),
                          "must be 3 to 63 of a-z, 0-9 and '-', starting "
                          "with a letter and not ending with '-'"});
  }
  CheckRequestId(request.request_id(), violations);
  resource.set_name(absl::StrCat(Traits::kCollection, "/", id));
  Traits::Normalize(resource);
  Traits::Validate(resource, violations);
  RETURN_IF_ERROR(ToStatus(std::move(violations)));
  Traits::OnCreate(resource);
  *resource.mutable_create_time() = ToProto(now);
  *resource.mutable_update_time() = ToProto(now);
  resource.clear_etag();
  const std::string fingerprint = Fingerprint(request);
  typename Traits::Resource created;
  RETURN_IF_ERROR(
      store.Run(CatalogueStore::Mode::kWrite, [&](CatalogueTransaction& tx) {
        ASSIGN_OR_RETURN(std::optional<std::string> replay,
                         ReplayOf(tx, request.request_id(), fingerprint, now));
        if (replay) {
          ASSIGN_OR_RETURN(auto current, Traits::Find(tx, *replay, false));
          if (!current) return NotFound(Traits::kField);
          created = *current;
          return absl::OkStatus();
        }
        absl::Status inserted = Traits::Insert(tx, resource);
        if (absl::IsAlreadyExists(inserted)) {
          return absl::AlreadyExistsError(
              absl::StrCat(Traits::kField, "_id: already taken"));
        }
        RETURN_IF_ERROR(inserted);
        created = resource;
        created.set_etag("1");
        return Remember(tx, request.request_id(), fingerprint, resource.name(),
                        now);
      }));
  return created;
}

template <typename Traits>
absl::StatusOr<typename Traits::Resource> GetNamed(CatalogueStore& store,
                                                   const std::string& name) {
  RETURN_IF_ERROR(CheckName(name, Traits::kCollection, "name"));
  std::optional<typename Traits::Resource> found;
  RETURN_IF_ERROR(store.Run(CatalogueStore::Mode::kRead,
                            [&](CatalogueTransaction& tx) -> absl::Status {
                              ASSIGN_OR_RETURN(found,
                                               Traits::Find(tx, name, false));
                              return absl::OkStatus();
                            }));
  if (!found) return NotFound(Traits::kField);
  return *found;
}

// Runs after a stored change, in its transaction, with what changed.
template <typename Resource>
using OnChange = std::function<absl::Status(
    CatalogueTransaction&, const Resource&, const std::vector<std::string>&)>;

template <typename Traits, typename Request>
absl::StatusOr<typename Traits::Resource> UpdateNamed(
    CatalogueStore& store, absl::Time now,
    const typename Traits::Resource& patch, const Request& request,
    const OnChange<typename Traits::Resource>& on_change = nullptr) {
  RETURN_IF_ERROR(CheckName(patch.name(), Traits::kCollection,
                            absl::StrCat(Traits::kField, ".name")));
  std::vector<FieldViolation> violations;
  ValidateUpdateMask(request.update_mask(), *Traits::Resource::descriptor(),
                     violations);
  RETURN_IF_ERROR(ToStatus(std::move(violations)));
  typename Traits::Resource updated;
  RETURN_IF_ERROR(
      store.Run(CatalogueStore::Mode::kWrite, [&](CatalogueTransaction& tx) {
        ASSIGN_OR_RETURN(auto current, Traits::Find(tx, patch.name(), true));
        if (!current) return NotFound(Traits::kField);
        RETURN_IF_ERROR(CheckEtag(patch.etag(), current->etag()));
        updated = *current;
        ApplyUpdateMask(request.update_mask(), patch, updated);
        Traits::Normalize(updated);
        std::vector<FieldViolation> violations;
        Traits::Validate(updated, violations);
        RETURN_IF_ERROR(ToStatus(std::move(violations)));
        const std::vector<std::string> changed =
            ChangedFields(*current, updated);
        if (changed.empty()) {
          updated = *current;
          return absl::OkStatus();
        }
        *updated.mutable_update_time() = ToProto(now);
        ASSIGN_OR_RETURN(std::string etag, Traits::Update(tx, updated));
        updated.set_etag(etag);
        return on_change ? on_change(tx, updated, changed) : absl::OkStatus();
      }));
  return updated;
}

template <typename Traits, typename Request>
absl::Status DeleteNamed(CatalogueStore& store, absl::Time now,
                         const Request& request) {
  RETURN_IF_ERROR(CheckName(request.name(), Traits::kCollection, "name"));
  return store.Run(CatalogueStore::Mode::kWrite, [&](CatalogueTransaction& tx) {
    ASSIGN_OR_RETURN(auto current, Traits::Find(tx, request.name(), true));
    if (!current) return NotFound(Traits::kField);
    RETURN_IF_ERROR(CheckEtag(request.etag(), current->etag()));
    ASSIGN_OR_RETURN(int64_t in_use, Traits::InUse(tx, request.name(), now));
    if (in_use > 0) {
      return Refused(
          absl::StrCat(Traits::kField, ": still named by a scheduled session"),
          absl::AsciiStrToUpper(absl::StrCat(Traits::kField, "_IN_USE")));
    }
    return Traits::Delete(tx, request.name());
  });
}

template <typename Traits, typename Request, typename Response>
absl::StatusOr<Response> ListNamed(
    CatalogueStore& store, const Request& request,
    typename Traits::Resource* (Response::*add)()) {
  ASSIGN_OR_RETURN(int limit, EffectivePageSize(request.page_size()));
  const std::string filters = FiltersFingerprint(request);
  NameQuery query;
  query.limit = limit + 1;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(query.after,
                     DecodePageToken(request.page_token(), filters));
  }
  std::vector<typename Traits::Resource> items;
  RETURN_IF_ERROR(store.Run(CatalogueStore::Mode::kRead,
                            [&](CatalogueTransaction& tx) -> absl::Status {
                              ASSIGN_OR_RETURN(items, Traits::List(tx, query));
                              return absl::OkStatus();
                            }));
  Response response;
  FinishPage<Response, typename Traits::Resource>(
      items, limit, response, filters,
      [](const typename Traits::Resource& item) {
        return PageKey{SearchKey(item.display_name()), item.name()};
      },
      [&](typename Traits::Resource& item) {
        *(response.*add)() = std::move(item);
      });
  return response;
}

}  // namespace

// --- Courses ---

absl::StatusOr<v1::Course> Catalogue::CreateCourse(
    const Caller&, const v1::CreateCourseRequest& r) {
  return CreateNamed<CourseTraits>(*store_, clock_->Now(), r.course_id(),
                                   r.course(), r);
}

absl::StatusOr<v1::Course> Catalogue::GetCourse(const Caller& caller,
                                                const v1::GetCourseRequest& r) {
  ASSIGN_OR_RETURN(v1::Course course,
                   GetNamed<CourseTraits>(*store_, r.name()));
  if (course.state() == v1::Course::DRAFT && !caller.privileged) {
    return NotFound("course");
  }
  return course;
}

absl::StatusOr<v1::ListCoursesResponse> Catalogue::ListCourses(
    const Caller& caller, const v1::ListCoursesRequest& r) {
  ASSIGN_OR_RETURN(int limit, EffectivePageSize(r.page_size()));
  if (r.show_unpublished() && !caller.privileged) {
    return WithErrorInfo(
        absl::PermissionDeniedError("show_unpublished: admins only"),
        "ACCESS_DENIED");
  }
  if (!r.tag().empty() && !IsValidTag(r.tag())) {
    return InvalidArgumentError(
        {{"tag", "must be 1 to 40 of a-z, 0-9 and '-'"}});
  }
  const std::string filters = FiltersFingerprint(r);
  CourseQuery query;
  query.published_only = !r.show_unpublished();
  query.tag = r.tag();
  query.limit = limit + 1;
  if (!r.page_token().empty()) {
    ASSIGN_OR_RETURN(query.after, DecodePageToken(r.page_token(), filters));
  }
  std::vector<v1::Course> courses;
  RETURN_IF_ERROR(store_->Run(CatalogueStore::Mode::kRead,
                              [&](CatalogueTransaction& tx) -> absl::Status {
                                ASSIGN_OR_RETURN(courses,
                                                 tx.ListCourses(query));
                                return absl::OkStatus();
                              }));
  v1::ListCoursesResponse response;
  FinishPage<v1::ListCoursesResponse, v1::Course>(
      courses, limit, response, filters,
      [](const v1::Course& c) {
        return PageKey{SearchKey(c.title()), c.name()};
      },
      [&](v1::Course& c) { *response.add_courses() = std::move(c); });
  return response;
}

absl::StatusOr<v1::Course> Catalogue::UpdateCourse(
    const Caller& caller, const v1::UpdateCourseRequest& r) {
  return UpdateNamed<CourseTraits>(
      *store_, clock_->Now(), r.course(), r,
      [&](CatalogueTransaction& tx, const v1::Course& updated,
          const std::vector<std::string>& changed) {
        // Drafts are nobody else's business until published.
        if (updated.state() != v1::Course::PUBLISHED) return absl::OkStatus();
        Event event = NewEvent(caller, updated.name());
        auto* payload = event.mutable_course_changed();
        *payload->mutable_course() = updated;
        for (const std::string& field : changed) {
          payload->add_changed_fields(field);
        }
        return tx.AddEvent(std::move(event));
      });
}

absl::StatusOr<v1::Course> Catalogue::PublishCourse(
    const Caller& caller, const v1::PublishCourseRequest& r) {
  RETURN_IF_ERROR(CheckName(r.name(), "courses", "name"));
  const absl::Time now = clock_->Now();
  v1::Course course;
  RETURN_IF_ERROR(
      store_->Run(CatalogueStore::Mode::kWrite, [&](CatalogueTransaction& tx) {
        ASSIGN_OR_RETURN(std::optional<v1::Course> current,
                         tx.FindCourse(r.name(), true));
        if (!current) return NotFound("course");
        RETURN_IF_ERROR(CheckEtag(r.etag(), current->etag()));
        course = *current;
        if (course.state() == v1::Course::PUBLISHED) return absl::OkStatus();
        if (course.state() == v1::Course::ARCHIVED) {
          return Refused("course: archived courses cannot be published",
                         "COURSE_ARCHIVED");
        }
        course.set_state(v1::Course::PUBLISHED);
        *course.mutable_update_time() = ToProto(now);
        ASSIGN_OR_RETURN(std::string etag, tx.UpdateCourse(course));
        course.set_etag(etag);
        Event event = NewEvent(caller, course.name());
        *event.mutable_course_published()->mutable_course() = course;
        return tx.AddEvent(std::move(event));
      }));
  return course;
}

absl::StatusOr<v1::Course> Catalogue::ArchiveCourse(
    const Caller& caller, const v1::ArchiveCourseRequest& r) {
  RETURN_IF_ERROR(CheckName(r.name(), "courses", "name"));
  const absl::Time now = clock_->Now();
  v1::Course course;
  RETURN_IF_ERROR(
      store_->Run(CatalogueStore::Mode::kWrite, [&](CatalogueTransaction& tx) {
        ASSIGN_OR_RETURN(std::optional<v1::Course> current,
                         tx.FindCourse(r.name(), true));
        if (!current) return NotFound("course");
        RETURN_IF_ERROR(CheckEtag(r.etag(), current->etag()));
        course = *current;
        if (course.state() == v1::Course::ARCHIVED) return absl::OkStatus();
        course.set_state(v1::Course::ARCHIVED);
        *course.mutable_update_time() = ToProto(now);
        ASSIGN_OR_RETURN(std::string etag, tx.UpdateCourse(course));
        course.set_etag(etag);
        Event event = NewEvent(caller, course.name());
        event.mutable_course_archived()->set_course(course.name());
        return tx.AddEvent(std::move(event));
      }));
  return course;
}

// --- Sessions ---

v1::Session Catalogue::Present(v1::Session session) const {
  FillLocalTimes(session);
  session.set_state(EffectiveState(session, clock_->Now()));
  return session;
}

absl::StatusOr<StoredSession> Catalogue::FindVisibleSession(
    CatalogueTransaction& tx, const Caller& caller, const std::string& name,
    bool lock) {
  ASSIGN_OR_RETURN(std::optional<StoredSession> stored,
                   tx.FindSession(name, lock));
  if (!stored ||
      (stored->course_state == v1::Course::DRAFT && !caller.privileged)) {
    return NotFound("session");
  }
  return *stored;
}

absl::Status Catalogue::CheckReferences(CatalogueTransaction& tx,
                                        const v1::Session& session,
                                        const v1::Session* before) {
  std::vector<FieldViolation> violations;
  if (!session.venue().empty() &&
      (before == nullptr || before->venue() != session.venue())) {
    ASSIGN_OR_RETURN(std::optional<v1::Venue> venue,
                     tx.FindVenue(session.venue(), false));
    if (!venue) violations.push_back({"session.venue", "names no venue"});
  }
  for (const std::string& trainer : session.trainers()) {
    if (before != nullptr &&
        std::find(before->trainers().begin(), before->trainers().end(),
                  trainer) != before->trainers().end()) {
      continue;
    }
    ASSIGN_OR_RETURN(std::optional<v1::Trainer> found,
                     tx.FindTrainer(trainer, false));
    if (!found) {
      violations.push_back({"session.trainers",
                            "names a trainer that does "
                            "not exist"});
      break;
    }
  }
  return ToStatus(std::move(violations));
}

absl::StatusOr<v1::Session> Catalogue::CreateSession(
    const Caller& caller, const v1::CreateSessionRequest& r) {
  const absl::Time now = clock_->Now();
  std::vector<FieldViolation> violations;
  if (!SlugOf(r.parent(), "courses")) {
    violations.push_back({"parent", "must be courses/{course}"});
  }
  CheckRequestId(r.request_id(), violations);
  v1::Session session = r.session();
  for (const char* output_only :
       {"name", "course_title", "local_start", "local_end", "area", "state",
        "cancellation_reason", "has_joining_details", "create_time",
        "update_time", "etag"}) {
    session.GetReflection()->ClearField(
        &session, v1::Session::descriptor()->FindFieldByName(output_only));
  }
  NormalizeSession(session, now);
  const bool has_details = r.has_joining_details();
  SessionContext context{.now = now, .has_joining_details = has_details};
  ValidateSession(session, context, "session", violations);
  if (has_details) {
    if (session.delivery_mode() != v1::ONLINE) {
      violations.push_back({"joining_details", "is only for online sessions"});
    } else {
      ValidateJoiningDetails(r.joining_details(), "joining_details",
                             violations);
    }
  }
  RETURN_IF_ERROR(ToStatus(std::move(violations)));
  session.set_state(v1::Session::SCHEDULED);
  *session.mutable_create_time() = ToProto(now);
  *session.mutable_update_time() = ToProto(now);
  const std::string fingerprint = Fingerprint(r);
  v1::Session created;
  RETURN_IF_ERROR(
      store_->Run(CatalogueStore::Mode::kWrite, [&](CatalogueTransaction& tx) {
        ASSIGN_OR_RETURN(std::optional<std::string> replay,
                         ReplayOf(tx, r.request_id(), fingerprint, now));
        if (replay) {
          ASSIGN_OR_RETURN(StoredSession stored,
                           FindVisibleSession(tx, caller, *replay, false));
          created = Present(stored.session);
          return absl::OkStatus();
        }
        // The course row is locked so that it cannot be archived while a
        // session is added to it.
        ASSIGN_OR_RETURN(std::optional<v1::Course> course,
                         tx.FindCourse(r.parent(), true));
        if (!course) return NotFound("parent");
        if (course->state() == v1::Course::ARCHIVED) {
          return Refused("parent: archived courses take no new sessions",
                         "COURSE_ARCHIVED");
        }
        RETURN_IF_ERROR(CheckReferences(tx, session, nullptr));
        v1::Session to_store = session;
        ASSIGN_OR_RETURN(const std::string id, NewSessionId());
        to_store.set_name(absl::StrCat(r.parent(), "/sessions/", id));
        RETURN_IF_ERROR(tx.InsertSession(to_store));
        if (has_details) {
          RETURN_IF_ERROR(
              tx.PutJoiningDetails(to_store.name(), r.joining_details()));
        }
        ASSIGN_OR_RETURN(std::optional<StoredSession> stored,
                         tx.FindSession(to_store.name(), false));
        if (!stored) return absl::InternalError("session: lost on insert");
        created = Present(stored->session);
        Event event = NewEvent(caller, created.name());
        auto* payload = event.mutable_session_scheduled();
        *payload->mutable_session() = created;
        *payload->mutable_course() = *course;
        payload->set_course_visible(course->state() != v1::Course::DRAFT);
        RETURN_IF_ERROR(tx.AddEvent(std::move(event)));
        return Remember(tx, r.request_id(), fingerprint, created.name(), now);
      }));
  return created;
}

absl::StatusOr<v1::Session> Catalogue::GetSession(
    const Caller& caller, const v1::GetSessionRequest& r) {
  RETURN_IF_ERROR(CheckSessionName(r.name(), "name").status());
  v1::Session session;
  RETURN_IF_ERROR(store_->Run(
      CatalogueStore::Mode::kRead,
      [&](CatalogueTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(StoredSession stored,
                         FindVisibleSession(tx, caller, r.name(), false));
        session = Present(stored.session);
        return absl::OkStatus();
      }));
  return session;
}

absl::StatusOr<v1::ListSessionsResponse> Catalogue::ListSessions(
    const Caller& caller, const v1::ListSessionsRequest& r) {
  const absl::Time now = clock_->Now();
  std::vector<FieldViolation> violations;
  SessionQuery query;
  query.now = now;
  query.include_draft_courses = caller.privileged;
  query.active_only = !r.show_inactive();
  if (r.parent() != "courses/-") {
    if (!SlugOf(r.parent(), "courses")) {
      violations.push_back({"parent", "must be courses/{course} or courses/-"});
    }
    query.course = r.parent();
  }
  absl::StatusOr<int> limit = EffectivePageSize(r.page_size());
  if (!limit.ok()) violations.push_back({"page_size", "must not be negative"});
  query.earliest_start =
      r.has_earliest_start_time() ? FromProto(r.earliest_start_time()) : now;
  if (r.has_latest_start_time()) {
    query.latest_start = FromProto(r.latest_start_time());
    if (*query.latest_start <= query.earliest_start) {
      violations.push_back(
          {"latest_start_time", "must be after earliest_start_time"});
    }
  }
  if (!v1::DeliveryMode_IsValid(r.delivery_mode())) {
    violations.push_back({"delivery_mode", "must be a known delivery mode"});
  }
  query.delivery_mode = r.delivery_mode();
  if (!r.venue().empty() && !SlugOf(r.venue(), "venues")) {
    violations.push_back({"venue", "must be venues/{venue}"});
  }
  query.venue = r.venue();
  if (!r.area().empty()) {
    query.area = absl::AsciiStrToUpper(r.area());
    // A district is the outward code of a postcode: 2 to 4 characters.
    if (!CanonicalPostcode(absl::StrCat(query.area, " 1AA")) ||
        query.area.size() > 4) {
      violations.push_back({"area", "must be a postcode district (CM1)"});
    }
  }
  if (r.query().size() > 200) {
    violations.push_back({"query", "must be at most 200 characters"});
  }
  query.words = QueryWords(r.query());
  RETURN_IF_ERROR(ToStatus(std::move(violations)));
  const std::string filters = FiltersFingerprint(r);
  query.limit = *limit + 1;
  if (!r.page_token().empty()) {
    ASSIGN_OR_RETURN(query.after, DecodePageToken(r.page_token(), filters));
  }
  std::vector<StoredSession> sessions;
  RETURN_IF_ERROR(store_->Run(
      CatalogueStore::Mode::kRead,
      [&](CatalogueTransaction& tx) -> absl::Status {
        if (!query.course.empty()) {
          ASSIGN_OR_RETURN(std::optional<v1::Course> course,
                           tx.FindCourse(query.course, false));
          if (!course ||
              (course->state() == v1::Course::DRAFT && !caller.privileged)) {
            return NotFound("parent");
          }
        }
        ASSIGN_OR_RETURN(sessions, tx.ListSessions(query));
        return absl::OkStatus();
      }));
  v1::ListSessionsResponse response;
  FinishPage<v1::ListSessionsResponse, StoredSession>(
      sessions, *limit, response, filters,
      [](const StoredSession& s) {
        return PageKey{
            absl::StrCat(absl::ToUnixMicros(FromProto(s.session.start_time()))),
            s.session.name()};
      },
      [&](StoredSession& s) {
        *response.add_sessions() = Present(std::move(s.session));
      });
  return response;
}

absl::StatusOr<v1::BatchGetSessionsResponse> Catalogue::BatchGetSessions(
    const Caller& caller, const v1::BatchGetSessionsRequest& r) {
  std::vector<FieldViolation> violations;
  const bool any_course = r.parent() == "courses/-";
  if (!any_course && !SlugOf(r.parent(), "courses")) {
    violations.push_back({"parent", "must be courses/{course} or courses/-"});
  }
  if (r.names().empty() || r.names_size() > 100) {
    violations.push_back({"names", "must hold 1 to 100 session names"});
  }
  std::set<std::string> seen;
  for (const std::string& name : r.names()) {
    std::optional<SessionName> parsed = ParseSessionName(name);
    if (!parsed || (!any_course && parsed->course != r.parent())) {
      violations.push_back({"names", "must be session names under the parent"});
      break;
    }
    if (!seen.insert(name).second) {
      violations.push_back({"names", "must not repeat a session"});
      break;
    }
  }
  RETURN_IF_ERROR(ToStatus(std::move(violations)));
  v1::BatchGetSessionsResponse response;
  RETURN_IF_ERROR(store_->Run(
      CatalogueStore::Mode::kRead,
      [&](CatalogueTransaction& tx) -> absl::Status {
        response.clear_sessions();
        for (const std::string& name : r.names()) {
          ASSIGN_OR_RETURN(StoredSession stored,
                           FindVisibleSession(tx, caller, name, false));
          *response.add_sessions() = Present(std::move(stored.session));
        }
        return absl::OkStatus();
      }));
  return response;
}

absl::StatusOr<v1::Session> Catalogue::UpdateSession(
    const Caller& caller, const v1::UpdateSessionRequest& r) {
  RETURN_IF_ERROR(
      CheckSessionName(r.session().name(), "session.name").status());
  std::vector<FieldViolation> violations;
  ValidateUpdateMask(r.update_mask(), *v1::Session::descriptor(), violations);
  RETURN_IF_ERROR(ToStatus(std::move(violations)));
  const absl::Time now = clock_->Now();
  const auto& paths = r.update_mask().paths();
  auto masked = [&](absl::string_view path) {
    return std::find(paths.begin(), paths.end(), path) != paths.end();
  };
  v1::Session updated;
  RETURN_IF_ERROR(
      store_->Run(CatalogueStore::Mode::kWrite, [&](CatalogueTransaction& tx) {
        ASSIGN_OR_RETURN(
            StoredSession stored,
            FindVisibleSession(tx, caller, r.session().name(), true));
        const v1::Session& current = stored.session;
        RETURN_IF_ERROR(CheckEtag(r.session().etag(), current.etag()));
        if (current.state() == v1::Session::CANCELLED) {
          return Refused("session: cancelled sessions cannot change",
                         "SESSION_CANCELLED");
        }
        if (EffectiveState(current, now) == v1::Session::COMPLETED) {
          return Refused("session: ended sessions cannot change",
                         "SESSION_ENDED");
        }
        updated = current;
        ApplyUpdateMask(r.update_mask(), r.session(), updated);
        // A booking close left at its default (the start) moves with the
        // start, so that moving a session earlier needs one field, not two.
        if (masked("start_time") && !masked("booking_close_time") &&
            current.booking_close_time().SerializeAsString() ==
                current.start_time().SerializeAsString()) {
          *updated.mutable_booking_close_time() = updated.start_time();
        }
        NormalizeSession(updated, now);
        const bool became_online =
            updated.delivery_mode() == v1::ONLINE &&
            (current.delivery_mode() != v1::ONLINE || masked("start_time"));
        SessionContext context{
            .now = now,
            .has_joining_details = current.has_joining_details(),
            .check_joining_lead_time = became_online,
            .joining_details_field = "session.delivery_mode"};
        std::vector<FieldViolation> violations;
        ValidateSession(updated, context, "session", violations);
        RETURN_IF_ERROR(ToStatus(std::move(violations)));
        RETURN_IF_ERROR(CheckReferences(tx, updated, &current));
        const std::vector<events::v1::SessionChange> changes =
            SessionChanges(current, updated);
        if (changes.empty()) {
          updated = Present(current);
          return absl::OkStatus();
        }
        if (updated.delivery_mode() != v1::ONLINE &&
            current.has_joining_details()) {
          RETURN_IF_ERROR(tx.DeleteJoiningDetails(updated.name()));
          updated.set_has_joining_details(false);
        }
        *updated.mutable_update_time() = ToProto(now);
        ASSIGN_OR_RETURN(std::string etag, tx.UpdateSession(updated));
        ASSIGN_OR_RETURN(std::optional<StoredSession> reread,
                         tx.FindSession(updated.name(), false));
        if (!reread) return absl::InternalError("session: lost on update");
        updated = Present(reread->session);
        Event event = NewEvent(caller, updated.name());
        auto* payload = event.mutable_session_changed();
        *payload->mutable_session() = updated;
        payload->set_course_visible(stored.course_state != v1::Course::DRAFT);
        for (auto change : changes) payload->add_changes(change);
        if (std::find(changes.begin(), changes.end(), events::v1::TIME) !=
            changes.end()) {
          *payload->mutable_previous_start_time() = current.start_time();
          *payload->mutable_previous_end_time() = current.end_time();
        }
        if (std::find(changes.begin(), changes.end(), events::v1::CAPACITY) !=
            changes.end()) {
          payload->set_previous_capacity(current.capacity());
        }
        return tx.AddEvent(std::move(event));
      }));
  return updated;
}

absl::StatusOr<v1::Session> Catalogue::CancelSession(
    const Caller& caller, const v1::CancelSessionRequest& r) {
  RETURN_IF_ERROR(CheckSessionName(r.name(), "name").status());
  const size_t reason_length = std::count_if(
      r.reason().begin(), r.reason().end(),
      [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
  if (reason_length < 1 || reason_length > 500) {
    return InvalidArgumentError({{"reason", "must be 1 to 500 characters"}});
  }
  const absl::Time now = clock_->Now();
  v1::Session cancelled;
  RETURN_IF_ERROR(
      store_->Run(CatalogueStore::Mode::kWrite, [&](CatalogueTransaction& tx) {
        ASSIGN_OR_RETURN(StoredSession stored,
                         FindVisibleSession(tx, caller, r.name(), true));
        RETURN_IF_ERROR(CheckEtag(r.etag(), stored.session.etag()));
        if (stored.session.state() == v1::Session::CANCELLED) {
          cancelled = Present(stored.session);
          return absl::OkStatus();
        }
        if (EffectiveState(stored.session, now) == v1::Session::COMPLETED) {
          return Refused("session: ended sessions cannot be cancelled",
                         "SESSION_ENDED");
        }
        cancelled = stored.session;
        cancelled.set_state(v1::Session::CANCELLED);
        cancelled.set_cancellation_reason(r.reason());
        *cancelled.mutable_update_time() = ToProto(now);
        ASSIGN_OR_RETURN(std::string etag, tx.UpdateSession(cancelled));
        cancelled.set_etag(etag);
        cancelled = Present(cancelled);
        Event event = NewEvent(caller, cancelled.name());
        auto* payload = event.mutable_session_cancelled();
        payload->set_session(cancelled.name());
        payload->set_reason(r.reason());
        payload->set_course_visible(stored.course_state != v1::Course::DRAFT);
        return tx.AddEvent(std::move(event));
      }));
  return cancelled;
}

absl::StatusOr<v1::Session> Catalogue::SetSessionJoiningDetails(
    const Caller& caller, const v1::SetSessionJoiningDetailsRequest& r) {
  RETURN_IF_ERROR(CheckSessionName(r.name(), "name").status());
  std::vector<FieldViolation> violations;
  ValidateJoiningDetails(r.joining_details(), "joining_details", violations);
  RETURN_IF_ERROR(ToStatus(std::move(violations)));
  const absl::Time now = clock_->Now();
  v1::Session updated;
  RETURN_IF_ERROR(
      store_->Run(CatalogueStore::Mode::kWrite, [&](CatalogueTransaction& tx) {
        ASSIGN_OR_RETURN(StoredSession stored,
                         FindVisibleSession(tx, caller, r.name(), true));
        updated = stored.session;
        if (updated.delivery_mode() != v1::ONLINE) {
          return Refused("name: only online sessions have joining details",
                         "NOT_ONLINE");
        }
        if (EffectiveState(updated, now) != v1::Session::SCHEDULED) {
          return Refused("name: the session is cancelled or has ended",
                         "SESSION_INACTIVE");
        }
        ASSIGN_OR_RETURN(std::optional<v1::JoiningDetails> existing,
                         tx.FindJoiningDetails(updated.name()));
        if (existing && existing->SerializeAsString() ==
                            r.joining_details().SerializeAsString()) {
          updated = Present(updated);
          return absl::OkStatus();
        }
        RETURN_IF_ERROR(
            tx.PutJoiningDetails(updated.name(), r.joining_details()));
        *updated.mutable_update_time() = ToProto(now);
        ASSIGN_OR_RETURN(std::string etag, tx.UpdateSession(updated));
        updated.set_etag(etag);
        updated.set_has_joining_details(true);
        updated = Present(updated);
        Event event = NewEvent(caller, updated.name());
        auto* payload = event.mutable_session_changed();
        *payload->mutable_session() = updated;
        payload->set_course_visible(stored.course_state != v1::Course::DRAFT);
        payload->add_changes(events::v1::JOINING_DETAILS);
        return tx.AddEvent(std::move(event));
      }));
  return updated;
}

absl::StatusOr<v1::JoiningDetails> Catalogue::GetSessionJoiningDetails(
    const Caller& caller, const v1::GetSessionJoiningDetailsRequest& r) {
  RETURN_IF_ERROR(CheckSessionName(r.name(), "name").status());
  std::optional<v1::JoiningDetails> details;
  RETURN_IF_ERROR(store_->Run(
      CatalogueStore::Mode::kRead,
      [&](CatalogueTransaction& tx) -> absl::Status {
        RETURN_IF_ERROR(
            FindVisibleSession(tx, caller, r.name(), false).status());
        ASSIGN_OR_RETURN(details, tx.FindJoiningDetails(r.name()));
        return absl::OkStatus();
      }));
  if (!details) return NotFound("joining details");
  return *details;
}

// --- Trainers and venues ---

absl::StatusOr<v1::Trainer> Catalogue::CreateTrainer(
    const Caller&, const v1::CreateTrainerRequest& r) {
  return CreateNamed<TrainerTraits>(*store_, clock_->Now(), r.trainer_id(),
                                    r.trainer(), r);
}

absl::StatusOr<v1::Trainer> Catalogue::GetTrainer(
    const Caller&, const v1::GetTrainerRequest& r) {
  return GetNamed<TrainerTraits>(*store_, r.name());
}

absl::StatusOr<v1::ListTrainersResponse> Catalogue::ListTrainers(
    const Caller&, const v1::ListTrainersRequest& r) {
  return ListNamed<TrainerTraits>(*store_, r,
                                  &v1::ListTrainersResponse::add_trainers);
}

absl::StatusOr<v1::Trainer> Catalogue::UpdateTrainer(
    const Caller&, const v1::UpdateTrainerRequest& r) {
  return UpdateNamed<TrainerTraits>(*store_, clock_->Now(), r.trainer(), r);
}

absl::Status Catalogue::DeleteTrainer(const Caller&,
                                      const v1::DeleteTrainerRequest& r) {
  return DeleteNamed<TrainerTraits>(*store_, clock_->Now(), r);
}

absl::StatusOr<v1::Venue> Catalogue::CreateVenue(
    const Caller&, const v1::CreateVenueRequest& r) {
  return CreateNamed<VenueTraits>(*store_, clock_->Now(), r.venue_id(),
                                  r.venue(), r);
}

absl::StatusOr<v1::Venue> Catalogue::GetVenue(const Caller&,
                                              const v1::GetVenueRequest& r) {
  return GetNamed<VenueTraits>(*store_, r.name());
}

absl::StatusOr<v1::ListVenuesResponse> Catalogue::ListVenues(
    const Caller&, const v1::ListVenuesRequest& r) {
  return ListNamed<VenueTraits>(*store_, r,
                                &v1::ListVenuesResponse::add_venues);
}

absl::StatusOr<v1::Venue> Catalogue::UpdateVenue(
    const Caller&, const v1::UpdateVenueRequest& r) {
  return UpdateNamed<VenueTraits>(*store_, clock_->Now(), r.venue(), r);
}

absl::Status Catalogue::DeleteVenue(const Caller&,
                                    const v1::DeleteVenueRequest& r) {
  return DeleteNamed<VenueTraits>(*store_, clock_->Now(), r);
}

}  // namespace training::catalogue

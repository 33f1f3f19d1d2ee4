#ifndef TRAINING_SERVICES_CATALOGUE_DOMAIN_H_
#define TRAINING_SERVICES_CATALOGUE_DOMAIN_H_

// The catalogue's rules in plain C++: what makes a course, trainer, venue or
// session valid, what an update may touch, what changed, how sessions are
// shown in their time zone, and the opaque page tokens. No gRPC, no SQL.
//
// Resources are the v1 proto messages (plain data); every validator returns
// every violation at once, each naming the field by its path in the request
// (`session.end_time`), never its value.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/requests/requests.h"
#include "common/requests/update_mask.h"
#include "common/status/errors.h"
#include "common/text/text.h"
#include "google/protobuf/field_mask.pb.h"
#include "training/catalogue/v1/resources.pb.h"
#include "training/events/v1/events.pb.h"

namespace training::catalogue {

using ::training::requests::PageKey;

// The zone sessions are shown in when none is given.
inline constexpr char kDefaultTimeZone[] = "Europe/London";

// Whether `name` is shaped like an IANA zone name (`Europe/London`, `UTC`,
// `Etc/GMT+1`): never a path, `file:` or `libc:` spec.
bool IsIanaZoneName(absl::string_view name);
// Loads an IANA zone from the system's zone database; false for any other
// name, or one the database does not hold.
bool LoadIanaTimeZone(absl::string_view name, absl::TimeZone* zone);

// An online session starting sooner than this after it is created or made
// online must come with its joining details.
inline constexpr absl::Duration kJoiningDetailsLeadTime = absl::Hours(24);

using ::training::text::IsValidSlug;
using ::training::text::IsValidTag;

// The `{id}` of `<collection>/{id}` when `name` has that form with a valid
// slug; nullopt otherwise.
std::optional<std::string> SlugOf(absl::string_view name,
                                  absl::string_view collection);

// A parsed session name `courses/{course}/sessions/{session}`.
struct SessionName {
  std::string course;   // courses/{course}
  std::string session;  // {session}
};
std::optional<SessionName> ParseSessionName(absl::string_view name);

// A new random session id: 10 characters of [a-z2-9] without look-alikes;
// INTERNAL when the random generator fails.
absl::StatusOr<std::string> NewSessionId();

// A UK postcode in canonical form (`CM1 1XY`), or nullopt when it is not
// one. The area (postcode district) is the part before the space.
std::optional<std::string> CanonicalPostcode(absl::string_view postcode);

// Lower-cased (ASCII) text for case-insensitive ordering and search.
std::string SearchKey(absl::string_view text);

// The words of a search query, lower-cased; at most 10 are kept.
std::vector<std::string> QueryWords(absl::string_view query);

// --- Validation --------------------------------------------------------------
// Each appends violations to `out`, with `prefix` (`course`, `session`)
// before every field name. Defaults are filled in first by the Normalize*
// functions, so that the validators see what would be stored.

// Fills in defaults (waiting-list policy, late-cancellation window).
void NormalizeCourse(v1::Course& course);
void ValidateCourse(const v1::Course& course, absl::string_view prefix,
                    std::vector<FieldViolation>& out);

void ValidateTrainer(const v1::Trainer& trainer, absl::string_view prefix,
                     std::vector<FieldViolation>& out);

// Canonicalises the postcode and derives the area; call before validating.
void NormalizeVenue(v1::Venue& venue);
void ValidateVenue(const v1::Venue& venue, absl::string_view prefix,
                   std::vector<FieldViolation>& out);

// Fills in the time zone and booking window defaults (open at `now`, close
// at the start).
void NormalizeSession(v1::Session& session, absl::Time now);

// What a session is checked against besides itself.
struct SessionContext {
  absl::Time now;
  // Whether joining details are (or will be, in the same request) on file.
  bool has_joining_details = false;
  // Whether this is a new session (creation checks the joining-details lead
  // time against `now`; updates only when the mode or start moves).
  bool check_joining_lead_time = true;
  // The request field blamed when joining details are missing.
  std::string joining_details_field = "joining_details.joining_url";
};
void ValidateSession(const v1::Session& session, const SessionContext& context,
                     absl::string_view prefix,
                     std::vector<FieldViolation>& out);

void ValidateJoiningDetails(const v1::JoiningDetails& details,
                            absl::string_view prefix,
                            std::vector<FieldViolation>& out);

// INVALID_ARGUMENT carrying `violations`, or OK when there are none.
absl::Status ToStatus(std::vector<FieldViolation> violations);

// --- Updates -----------------------------------------------------------------

using ::training::requests::ApplyUpdateMask;
using ::training::requests::ValidateUpdateMask;

// Top-level fields whose values differ between `before` and `after`,
// ignoring output-only bookkeeping (times, etag), by proto name.
std::vector<std::string> ChangedFields(const google::protobuf::Message& before,
                                       const google::protobuf::Message& after);

// What a session change means to others (events): time, place, capacity,
// booking window, description. Empty when nothing they care about changed.
std::vector<training::events::v1::SessionChange> SessionChanges(
    const v1::Session& before, const v1::Session& after);

// --- Display -----------------------------------------------------------------

// Fills `local_start` and `local_end` (RFC 3339 with the zone's offset at
// that instant) from the instants and `time_zone`.
void FillLocalTimes(v1::Session& session);

// The session's state as shown: a scheduled session that has ended is
// COMPLETED.
v1::Session::State EffectiveState(const v1::Session& session, absl::Time now);

// The instant at a wall-clock time in a zone (for scheduling by local time,
// as the demo programme does). For a time skipped by a DST change, the
// instant after the gap; for a repeated one, the first.
absl::StatusOr<absl::Time> LocalToInstant(absl::CivilMinute local,
                                          absl::string_view time_zone);

}  // namespace training::catalogue

#endif  // TRAINING_SERVICES_CATALOGUE_DOMAIN_H_

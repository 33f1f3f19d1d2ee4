#include "services/catalogue/domain.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/random/secure_bytes.h"
#include "common/text/text.h"
#include "common/time/proto_time.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/util/message_differencer.h"

namespace training::catalogue {

bool IsIanaZoneName(absl::string_view name) {
  // Area/Location[/Sublocation], UTC, GB-Eire, Etc/GMT+1, EST5EDT: parts of
  // letters, digits, `_`, `+` and `-`, each starting with a letter, so that
  // no path (`/etc/passwd`, `../x`), `file:` or `libc:` spec gets through to
  // the loader, which would read any file it names.
  if (name.empty() || name.size() > 64) return false;
  // Files of the zone directory that are not zones: the host's own zone
  // (a link to /etc/localtime), the POSIX default rules, the placeholder.
  for (absl::string_view not_a_zone : {"localtime", "posixrules", "Factory"}) {
    if (name == not_a_zone) return false;
  }
  if (absl::StartsWith(name, "posix/") || absl::StartsWith(name, "right/")) {
    return false;
  }
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() ||
        !absl::ascii_isalpha(static_cast<unsigned char>(part[0]))) {
      return false;
    }
    for (char c : part) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
          c != '+' && c != '-') {
        return false;
      }
    }
  }
  return true;
}

bool LoadIanaTimeZone(absl::string_view name, absl::TimeZone* zone) {
  return IsIanaZoneName(name) && absl::LoadTimeZone(std::string(name), zone);
}
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::training::events::v1::SessionChange;
using ::training::type::v1::AgencyType;

std::string Field(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

void Add(std::vector<FieldViolation>& out, absl::string_view prefix,
         absl::string_view field, absl::string_view rule) {
  out.push_back({Field(prefix, field), std::string(rule)});
}

void CheckLength(absl::string_view text, size_t min, size_t max,
                 std::vector<FieldViolation>& out, absl::string_view prefix,
                 absl::string_view field) {
  const size_t length = text::Utf8Length(text);
  if (length < min || length > max) {
    Add(out, prefix, field,
        min == 0 ? absl::StrCat("must be at most ", max, " characters")
                 : absl::StrCat("must be ", min, " to ", max, " characters"));
  }
}

void CheckAgencyTypes(const google::protobuf::RepeatedField<int>& types,
                      bool required, std::vector<FieldViolation>& out,
                      absl::string_view prefix, absl::string_view field) {
  if (required && types.empty()) {
    Add(out, prefix, field, "must name at least one agency type");
    return;
  }
  std::set<int> seen;
  for (int type : types) {
    if (type == training::type::v1::AGENCY_TYPE_UNSPECIFIED ||
        !training::type::v1::AgencyType_IsValid(type)) {
      Add(out, prefix, field, "must hold only known agency types");
      return;
    }
    if (!seen.insert(type).second) {
      Add(out, prefix, field, "must not repeat an agency type");
      return;
    }
  }
}

bool IsHttpsUrl(absl::string_view url) {
  if (!absl::StartsWith(url, "https://") || url.size() <= 8) return false;
  return std::none_of(url.begin(), url.end(), [](char c) {
    return c <= ' ' || c == '"' || c == '<' || c == '>' || c == 0x7f;
  });
}

}  // namespace

std::optional<std::string> SlugOf(absl::string_view name,
                                  absl::string_view collection) {
  const std::string prefix = absl::StrCat(collection, "/");
  if (!absl::StartsWith(name, prefix)) return std::nullopt;
  absl::string_view slug = name.substr(prefix.size());
  if (!IsValidSlug(slug)) return std::nullopt;
  return std::string(slug);
}

std::optional<SessionName> ParseSessionName(absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "courses" || parts[2] != "sessions") {
    return std::nullopt;
  }
  if (!IsValidSlug(parts[1])) return std::nullopt;
  absl::string_view id = parts[3];
  if (id.empty() || id.size() > 63 ||
      !std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      })) {
    return std::nullopt;
  }
  return SessionName{absl::StrCat("courses/", parts[1]), std::string(id)};
}

absl::StatusOr<std::string> NewSessionId() {
  // 31 symbols, no 0/o, 1/l/i: ids are read aloud and typed from e-mails.
  static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
  absl::StatusOr<std::string> bytes = random::SecureBytes(10);
  if (!bytes.ok()) return bytes.status();
  std::string id;
  for (char b : *bytes)
    id.push_back(kAlphabet[static_cast<unsigned char>(b) % 31]);
  return id;
}

std::optional<std::string> CanonicalPostcode(absl::string_view postcode) {
  std::string compact;
  for (char c : postcode) {
    if (c == ' ') continue;
    compact.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  // Outward code: A9, A99, AA9, AA99, A9A, AA9A; inward code: 9AA.
  if (compact.size() < 5 || compact.size() > 7) return std::nullopt;
  const std::string outward = compact.substr(0, compact.size() - 3);
  const std::string inward = compact.substr(compact.size() - 3);
  auto alpha = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(inward[0]) || !alpha(inward[1]) || !alpha(inward[2])) {
    return std::nullopt;
  }
  size_t i = 0;
  while (i < outward.size() && alpha(outward[i])) ++i;
  if (i < 1 || i > 2 || i == outward.size() || !digit(outward[i])) {
    return std::nullopt;
  }
  const absl::string_view rest = absl::string_view(outward).substr(i + 1);
  if (rest.size() > 1 ||
      (rest.size() == 1 && !alpha(rest[0]) && !digit(rest[0]))) {
    return std::nullopt;
  }
  return absl::StrCat(outward, " ", inward);
}

std::string SearchKey(absl::string_view text) {
  return absl::AsciiStrToLower(text);
}

std::vector<std::string> QueryWords(absl::string_view query) {
  std::vector<std::string> words;
  for (absl::string_view word :
       absl::StrSplit(query, absl::ByAnyChar(" \t\n"), absl::SkipEmpty())) {
    if (words.size() == 10) break;
    words.push_back(SearchKey(word));
  }
  return words;
}

// --- Validation ---

void NormalizeCourse(v1::Course& course) {
  auto* policy = course.mutable_waitlist_policy();
  if (policy->mode() == v1::WaitlistPolicy::MODE_UNSPECIFIED) {
    policy->set_mode(v1::WaitlistPolicy::AUTO_CONFIRM);
  }
  if (policy->mode() == v1::WaitlistPolicy::OFFER_WITH_HOLD) {
    if (!IsSet(policy->hold_duration())) {
      *policy->mutable_hold_duration() = ToProto(absl::Hours(48));
    }
    if (!IsSet(policy->minimum_hold_duration())) {
      *policy->mutable_minimum_hold_duration() =
          ToProto(std::min(absl::Hours(2), FromProto(policy->hold_duration())));
    }
  }
  if (!course.has_late_cancellation_window()) {
    *course.mutable_late_cancellation_window() = ToProto(absl::Hours(48));
  }
}

void ValidateCourse(const v1::Course& course, absl::string_view prefix,
                    std::vector<FieldViolation>& out) {
  CheckLength(course.title(), 1, 200, out, prefix, "title");
  CheckLength(course.summary(), 0, 2000, out, prefix, "summary");
  CheckLength(course.audience(), 0, 1000, out, prefix, "audience");
  const absl::Duration duration = FromProto(course.duration());
  if (duration <= absl::ZeroDuration() || duration > absl::Hours(24 * 5)) {
    Add(out, prefix, "duration", "must be positive and at most 5 days");
  }
  if (course.level() == v1::Course::LEVEL_UNSPECIFIED ||
      !v1::Course::Level_IsValid(course.level())) {
    Add(out, prefix, "level", "must be INTRODUCTORY, INTERMEDIATE or ADVANCED");
  }
  if (course.prerequisites_size() > 10) {
    Add(out, prefix, "prerequisites", "must name at most 10 courses");
  }
  std::set<std::string> prerequisites;
  for (const std::string& prerequisite : course.prerequisites()) {
    if (!SlugOf(prerequisite, "courses")) {
      Add(out, prefix, "prerequisites",
          "must be course names courses/{course}");
      break;
    }
    if (prerequisite == course.name() ||
        !prerequisites.insert(prerequisite).second) {
      Add(out, prefix, "prerequisites",
          "must not repeat a course or name the course itself");
      break;
    }
  }
  CheckAgencyTypes(course.eligible_agency_types(), true, out, prefix,
                   "eligible_agency_types");
  if (course.tags_size() > 20) {
    Add(out, prefix, "tags", "must hold at most 20 tags");
  }
  std::set<std::string> tags;
  for (const std::string& tag : course.tags()) {
    if (!IsValidTag(tag) || !tags.insert(tag).second) {
      Add(out, prefix, "tags",
          "each must be 1 to 40 of a-z, 0-9 and '-', without repeats");
      break;
    }
  }
  const auto& policy = course.waitlist_policy();
  if (!v1::WaitlistPolicy::Mode_IsValid(policy.mode())) {
    Add(out, prefix, "waitlist_policy.mode", "must be a known mode");
  }
  if (policy.mode() == v1::WaitlistPolicy::OFFER_WITH_HOLD) {
    const absl::Duration hold = FromProto(policy.hold_duration());
    const absl::Duration minimum = FromProto(policy.minimum_hold_duration());
    if (hold < absl::Hours(1) || hold > absl::Hours(24 * 7)) {
      Add(out, prefix, "waitlist_policy.hold_duration",
          "must be 1 hour to 7 days");
    }
    if (minimum < absl::Minutes(15) || minimum > hold) {
      Add(out, prefix, "waitlist_policy.minimum_hold_duration",
          "must be 15 minutes to the hold duration");
    }
  } else if (IsSet(policy.hold_duration()) ||
             IsSet(policy.minimum_hold_duration())) {
    Add(out, prefix, "waitlist_policy.hold_duration",
        "is only for the OFFER_WITH_HOLD mode");
  }
  const absl::Duration late = FromProto(course.late_cancellation_window());
  if (late < absl::ZeroDuration() || late > absl::Hours(24 * 30)) {
    Add(out, prefix, "late_cancellation_window", "must be zero to 30 days");
  }
  const auto& no_show = course.no_show_policy();
  CheckLength(no_show.description(), 0, 1000, out, prefix,
              "no_show_policy.description");
  if (no_show.max_no_shows() < 0 || no_show.max_no_shows() > 10) {
    Add(out, prefix, "no_show_policy.max_no_shows", "must be 0 to 10");
  }
  const absl::Duration lookback = FromProto(no_show.lookback());
  if (lookback < absl::ZeroDuration() || lookback > absl::Hours(24 * 366 * 3)) {
    Add(out, prefix, "no_show_policy.lookback", "must be zero to 3 years");
  }
  if (!course.article().empty() && !SlugOf(course.article(), "articles")) {
    Add(out, prefix, "article", "must be an article name articles/{article}");
  }
}

void ValidateTrainer(const v1::Trainer& trainer, absl::string_view prefix,
                     std::vector<FieldViolation>& out) {
  CheckLength(trainer.display_name(), 1, 200, out, prefix, "display_name");
  if (trainer.accreditations_size() > 10) {
    Add(out, prefix, "accreditations", "must hold at most 10");
  }
  for (const std::string& accreditation : trainer.accreditations()) {
    const size_t length = text::Utf8Length(accreditation);
    if (length < 1 || length > 200) {
      Add(out, prefix, "accreditations", "each must be 1 to 200 characters");
      break;
    }
  }
  if (!trainer.bio_article().empty() &&
      !SlugOf(trainer.bio_article(), "articles")) {
    Add(out, prefix, "bio_article",
        "must be an article name articles/{article}");
  }
}

void NormalizeVenue(v1::Venue& venue) {
  if (auto postcode = CanonicalPostcode(venue.postcode())) {
    venue.set_postcode(*postcode);
    venue.set_area(postcode->substr(0, postcode->find(' ')));
  } else {
    venue.clear_area();
  }
}

void ValidateVenue(const v1::Venue& venue, absl::string_view prefix,
                   std::vector<FieldViolation>& out) {
  CheckLength(venue.display_name(), 1, 200, out, prefix, "display_name");
  if (venue.address_lines_size() < 1 || venue.address_lines_size() > 4) {
    Add(out, prefix, "address_lines", "must have 1 to 4 lines");
  }
  for (const std::string& line : venue.address_lines()) {
    const size_t length = text::Utf8Length(line);
    if (length < 1 || length > 100) {
      Add(out, prefix, "address_lines",
          "each line must be 1 to 100 characters");
      break;
    }
  }
  CheckLength(venue.locality(), 1, 100, out, prefix, "locality");
  if (!CanonicalPostcode(venue.postcode())) {
    Add(out, prefix, "postcode", "must be a UK postcode");
  }
  CheckLength(venue.accessibility_notes(), 0, 2000, out, prefix,
              "accessibility_notes");
}

void NormalizeSession(v1::Session& session, absl::Time now) {
  if (session.time_zone().empty()) session.set_time_zone(kDefaultTimeZone);
  if (!IsSet(session.booking_open_time())) {
    *session.mutable_booking_open_time() = ToProto(now);
  }
  if (!IsSet(session.booking_close_time())) {
    *session.mutable_booking_close_time() = session.start_time();
  }
  if (session.delivery_mode() == v1::ONLINE) session.clear_area();
}

void ValidateSession(const v1::Session& session, const SessionContext& context,
                     absl::string_view prefix,
                     std::vector<FieldViolation>& out) {
  CheckLength(session.title(), 0, 200, out, prefix, "title");
  const bool has_start = IsSet(session.start_time());
  const bool has_end = IsSet(session.end_time());
  const absl::Time start = FromProto(session.start_time());
  const absl::Time end = FromProto(session.end_time());
  if (!has_start) Add(out, prefix, "start_time", "is required");
  if (!has_end) {
    Add(out, prefix, "end_time", "is required");
  } else if (has_start && (end <= start || end - start > absl::Hours(24 * 5))) {
    Add(out, prefix, "end_time",
        "must be after start_time and at most 5 days later");
  }
  absl::TimeZone zone;
  if (!LoadIanaTimeZone(session.time_zone(), &zone)) {
    Add(out, prefix, "time_zone", "must be an IANA time zone name");
  }
  switch (session.delivery_mode()) {
    case v1::IN_PERSON:
      if (!SlugOf(session.venue(), "venues")) {
        Add(out, prefix, "venue",
            "is required in person, as a venue name venues/{venue}");
      }
      break;
    case v1::ONLINE:
      if (!session.venue().empty()) {
        Add(out, prefix, "venue", "must be empty for an online session");
      }
      if (context.check_joining_lead_time && !context.has_joining_details &&
          has_start && start - context.now < kJoiningDetailsLeadTime) {
        out.push_back({context.joining_details_field,
                       "is required for an online session starting within "
                       "24 hours"});
      }
      break;
    default:
      Add(out, prefix, "delivery_mode", "must be IN_PERSON or ONLINE");
  }
  if (session.capacity() < 1 || session.capacity() > 10000) {
    Add(out, prefix, "capacity", "must be 1 to 10000");
  }
  if (session.trainers_size() > 10) {
    Add(out, prefix, "trainers", "must name at most 10 trainers");
  }
  std::set<std::string> trainers;
  for (const std::string& trainer : session.trainers()) {
    if (!SlugOf(trainer, "trainers") || !trainers.insert(trainer).second) {
      Add(out, prefix, "trainers",
          "must be trainer names trainers/{trainer}, without repeats");
      break;
    }
  }
  const absl::Time opens = FromProto(session.booking_open_time());
  const absl::Time closes = FromProto(session.booking_close_time());
  if (closes <= opens) {
    Add(out, prefix, "booking_close_time", "must be after booking_open_time");
  } else if (has_start && closes > start) {
    Add(out, prefix, "booking_close_time", "must be no later than start_time");
  }
  int held = 0;
  bool each_fits = true;
  for (int i = 0; i < session.agency_holds_size(); ++i) {
    const auto& hold = session.agency_holds(i);
    const std::string field = absl::StrCat("agency_holds[", i, "]");
    CheckAgencyTypes(hold.agency_types(), true, out, prefix,
                     absl::StrCat(field, ".agency_types"));
    if (hold.places() < 1 || hold.places() > session.capacity()) {
      Add(out, prefix, absl::StrCat(field, ".places"),
          "must be 1 to the capacity");
      each_fits = false;
    }
    held += std::max(0, hold.places());
    if (!IsSet(hold.release_time()) ||
        (has_start && FromProto(hold.release_time()) >= start)) {
      Add(out, prefix, absl::StrCat(field, ".release_time"),
          "is required and must be before start_time");
    }
  }
  if (each_fits && held > session.capacity()) {
    Add(out, prefix, "agency_holds", "must hold at most the capacity in all");
  }
}

void ValidateJoiningDetails(const v1::JoiningDetails& details,
                            absl::string_view prefix,
                            std::vector<FieldViolation>& out) {
  if (details.joining_url().size() > 2000 ||
      !IsHttpsUrl(details.joining_url())) {
    Add(out, prefix, "joining_url",
        "must be an https URL of at most 2000 characters");
  }
  CheckLength(details.instructions(), 0, 2000, out, prefix, "instructions");
}

absl::Status ToStatus(std::vector<FieldViolation> violations) {
  if (violations.empty()) return absl::OkStatus();
  return InvalidArgumentError(std::move(violations));
}

// --- Updates ---

std::vector<std::string> ChangedFields(const Message& before,
                                       const Message& after) {
  std::vector<std::string> changed;
  const Descriptor* descriptor = before.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (requests::IsOutputOnly(*field) || field->name() == "etag") continue;
    google::protobuf::util::MessageDifferencer differencer;
    for (int j = 0; j < descriptor->field_count(); ++j) {
      if (j != i) differencer.IgnoreField(descriptor->field(j));
    }
    if (!differencer.Compare(before, after)) {
      changed.push_back(field->name());
    }
  }
  return changed;
}

std::vector<SessionChange> SessionChanges(const v1::Session& before,
                                          const v1::Session& after) {
  std::vector<SessionChange> changes;
  const std::vector<std::string> fields = ChangedFields(before, after);
  auto any = [&](std::initializer_list<absl::string_view> names) {
    return std::any_of(fields.begin(), fields.end(), [&](const auto& field) {
      return std::find(names.begin(), names.end(), field) != names.end();
    });
  };
  if (any({"start_time", "end_time"})) changes.push_back(events::v1::TIME);
  if (any({"delivery_mode", "venue"})) changes.push_back(events::v1::PLACE);
  if (any({"capacity", "agency_holds"})) {
    changes.push_back(events::v1::CAPACITY);
  }
  if (any({"booking_open_time", "booking_close_time"})) {
    changes.push_back(events::v1::BOOKING_WINDOW);
  }
  if (any({"title", "trainers", "time_zone"})) {
    changes.push_back(events::v1::DESCRIPTION);
  }
  return changes;
}

// --- Display ---

void FillLocalTimes(v1::Session& session) {
  absl::TimeZone zone;
  if (!LoadIanaTimeZone(session.time_zone(), &zone)) {
    zone = absl::UTCTimeZone();
  }
  constexpr char kFormat[] = "%Y-%m-%dT%H:%M:%S%Ez";
  session.set_local_start(
      absl::FormatTime(kFormat, FromProto(session.start_time()), zone));
  session.set_local_end(
      absl::FormatTime(kFormat, FromProto(session.end_time()), zone));
}

v1::Session::State EffectiveState(const v1::Session& session, absl::Time now) {
  if (session.state() == v1::Session::SCHEDULED &&
      FromProto(session.end_time()) <= now) {
    return v1::Session::COMPLETED;
  }
  return session.state();
}

absl::StatusOr<absl::Time> LocalToInstant(absl::CivilMinute local,
                                          absl::string_view time_zone) {
  absl::TimeZone zone;
  if (!LoadIanaTimeZone(time_zone, &zone)) {
    return absl::InvalidArgumentError("time_zone: unknown IANA time zone");
  }
  const absl::TimeZone::TimeInfo info = zone.At(absl::CivilSecond(local));
  switch (info.kind) {
    case absl::TimeZone::TimeInfo::UNIQUE:
      return info.pre;
    case absl::TimeZone::TimeInfo::SKIPPED:
      return info.trans;
    case absl::TimeZone::TimeInfo::REPEATED:
      return info.pre;
  }
  return info.pre;
}

// --- Paging ---

}  // namespace training::catalogue

#ifndef TRAINING_SERVICES_NOTIFICATION_STORE_H_
#define TRAINING_SERVICES_NOTIFICATION_STORE_H_

// What the notification service keeps, in SQL (PostgreSQL for replicas
// sharing the work, SQLite for one):
//
//   facts              events taken from the streams, to be composed; a
//                      composer claims one with a lease
//   deliveries         one row per message, unique by (event, kind,
//                      booking, recipient role) so that an event handled
//                      twice makes each message once; the rendered message
//                      is stored, so that every attempt sends the same bytes
//   templates,         each template's current revision, and every revision
//   template_revisions
//   calendar_sequences the SEQUENCE last sent under each calendar UID
//
// Inserts that may meet a row already there use ON CONFLICT DO NOTHING:
// PostgreSQL aborts a transaction on a unique violation even when the code
// expects it.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "training/events/v1/events.pb.h"
#include "training/notification/v1/resources.pb.h"

namespace training::notification {

std::vector<sql::Migration> NotificationMigrations();

// A new message's `Message-ID` (without angle brackets), `{id}@{domain}`:
// the delivery's id is the part before the "@", so that the id a mailbox
// sees names the delivery in the log.
std::string NewMessageId(absl::string_view domain);

// A fact claimed for composing.
struct ClaimedFact {
  std::string event_id{};
  events::v1::Event event;
  std::string cursor{};  // a session-wide fact's progress: the next page
  int attempts = 0;      // times it was postponed
};

// A message ready to be stored.
struct NewDelivery {
  std::string source_event_id{};
  v1::MessageKind kind = v1::MESSAGE_KIND_UNSPECIFIED;
  std::string booking{};
  v1::Delivery::RecipientRole role = v1::Delivery::ATTENDEE;
  std::string recipient{};
  std::string template_name{};
  int64_t template_revision = 0;
  std::string calendar_method{};
  std::string message{};  // the whole RFC 5322 message
  std::string message_id{};
  absl::Time event_time{};
  // A render failure: stored FAILED (technical-failure) with this reason,
  // nothing sent.
  std::string failure{};
};

// A delivery claimed for sending.
struct ClaimedDelivery {
  std::string id{};
  v1::MessageKind kind = v1::MESSAGE_KIND_UNSPECIFIED;
  std::string recipient{};
  std::string message{};
  int attempts = 0;  // this one included
  absl::Time event_time{};
};

// A template's revision.
struct TemplateRevision {
  std::string slug{};
  v1::MessageKind kind = v1::MESSAGE_KIND_UNSPECIFIED;
  int64_t revision = 0;
  std::string subject{};
  std::string body{};
  std::string html_body{};
  bool copy_line_manager = false;
  bool active = false;
  absl::Time create_time{};  // the template's
  absl::Time update_time{};  // the template's
  absl::Time revision_time{};
};

// Filters of ListDeliveries and CountDeliveries.
struct DeliveryFilter {
  std::string booking;
  std::vector<int> states;
  std::vector<std::string> notify_statuses;
  std::vector<int> kinds;
  std::optional<absl::Time> start;
  std::optional<absl::Time> end;
};

class NotificationStore {
 public:
  // Applies the migrations; `db` is not owned and must outlive this.
  static absl::StatusOr<std::unique_ptr<NotificationStore>> Open(
      sql::Database* db);

  sql::Database& db() { return *db_; }

  // --- Facts (store_facts.cc) ---
  // Keeps `event` to be composed; nothing when it is there already. Runs in
  // the stream consumer's transaction, before the entry is acknowledged.
  static absl::Status AddFact(sql::Transaction& tx,
                              const events::v1::Event& event);
  // The oldest fact ready to compose, leased to `owner` until now + lease;
  // a fact waits while an older one about the same subject (booking, or
  // session) is unfinished, so that calendar SEQUENCEs follow the events'
  // order. A fact whose payload does not parse is set aside (logged).
  absl::StatusOr<std::optional<ClaimedFact>> ClaimFact(const std::string& owner,
                                                       absl::Time now,
                                                       absl::Duration lease);
  // Done: the fact is composed.
  static absl::Status FinishFact(sql::Transaction& tx,
                                 const std::string& event_id);
  // Progress of a session-wide fact: composed up to `cursor`.
  static absl::Status SaveFactCursor(sql::Transaction& tx,
                                     const std::string& event_id,
                                     const std::string& cursor);
  // Try again no sooner than `retry_at` (the booking service was down);
  // counts the attempt.
  absl::Status PostponeFact(const std::string& event_id, absl::Time retry_at);
  // Facts not yet composed.
  absl::StatusOr<int64_t> PendingFacts();

  // --- Templates (store_templates.cc) ---
  // Stores the defaults that are missing (revision 1, active).
  absl::Status SeedDefaultTemplates(absl::Time now);
  // The active template of `kind`; NOT_FOUND when none.
  static absl::StatusOr<TemplateRevision> ActiveTemplate(sql::Transaction& tx,
                                                         v1::MessageKind kind);
  // One template at its current revision, or at `revision` when not 0.
  absl::StatusOr<TemplateRevision> GetTemplate(const std::string& slug,
                                               int64_t revision);
  absl::StatusOr<std::vector<TemplateRevision>> ListTemplates(
      v1::MessageKind kind, const std::string& after_slug, int limit);
  absl::StatusOr<std::vector<TemplateRevision>> ListRevisions(
      const std::string& slug, int64_t before_revision, int limit);
  // Stores a new template (ALREADY_EXISTS when the slug is taken).
  absl::Status CreateTemplate(const TemplateRevision& t, absl::Time now);
  // Stores `t` as the template's next revision when `new_revision`, and its
  // `active` flag (clearing it on the kind's others). ABORTED when the
  // template is no longer at `expected_revision`.
  absl::StatusOr<TemplateRevision> UpdateTemplate(const TemplateRevision& t,
                                                  int64_t expected_revision,
                                                  bool new_revision,
                                                  absl::Time now);

  // Deletes an inactive template and its revisions: NOT_FOUND, or
  // FAILED_PRECONDITION while it is its kind's active one.
  absl::Status DeleteTemplate(const std::string& slug);

  // --- Deliveries (store_deliveries.cc) ---
  // Adds the next SEQUENCE of `uid` (0 for the first) and returns it.
  static absl::StatusOr<int64_t> NextCalendarSequence(sql::Transaction& tx,
                                                      const std::string& uid);
  // The SEQUENCE last sent under `uid`; 0 when none was.
  absl::StatusOr<int64_t> CurrentCalendarSequence(const std::string& uid);
  // Stores a message queued for now; false when that message (same event,
  // kind, booking and role) was stored before.
  static absl::StatusOr<bool> AddDelivery(sql::Transaction& tx,
                                          const NewDelivery& delivery,
                                          absl::Time now);
  // The next due delivery, moved to SENDING and leased to `owner`: a
  // QUEUED or RETRYING one whose time has come, or a SENDING one whose
  // sender's lease ran out (it died mid-send).
  absl::StatusOr<std::optional<ClaimedDelivery>> ClaimDelivery(
      const std::string& owner, absl::Time now, absl::Duration lease);
  // The outcome of an attempt, recorded only while `owner` still holds the
  // lease: false when it does not (the lease ran out and another sender
  // took the delivery over, or the booking's data was erased meanwhile).
  // A sent message's text (which holds the manage link) is not kept.
  absl::StatusOr<bool> MarkSent(const std::string& id, const std::string& owner,
                                absl::Time now);
  absl::StatusOr<bool> MarkRetrying(const std::string& id,
                                    const std::string& owner,
                                    absl::Time next_attempt,
                                    const std::string& error, absl::Time now);
  absl::StatusOr<bool> MarkFailed(const std::string& id,
                                  const std::string& owner,
                                  const std::string& notify_status,
                                  const std::string& error, absl::Time now);

  absl::StatusOr<std::optional<v1::Delivery>> GetDelivery(
      const std::string& id);
  // Newest first, after the page key (create time, id) when given.
  absl::StatusOr<std::vector<v1::Delivery>> ListDeliveries(
      const DeliveryFilter& filter,
      std::optional<std::pair<int64_t, std::string>> after, int limit);
  absl::StatusOr<std::map<std::string, int64_t>> CountDeliveries(
      const DeliveryFilter& filter);
  // Deliveries by state, for the metrics.
  absl::StatusOr<std::map<int, int64_t>> DeliveriesByState();
  // FAILED → QUEUED now, attempts kept. FAILED_PRECONDITION otherwise.
  absl::StatusOr<v1::Delivery> RetryDelivery(const std::string& id,
                                             absl::Time now);
  // SCHEDULED, QUEUED or RETRYING → CANCELLED, its text dropped.
  // FAILED_PRECONDITION otherwise.
  absl::StatusOr<v1::Delivery> CancelDelivery(const std::string& id,
                                              absl::Time now);
  // Erasure: unsent messages about these bookings are cancelled (one being
  // sent included: its sender's outcome is then not recorded), and the
  // address and text of every one are blanked.
  static absl::Status ForgetBookings(sql::Transaction& tx,
                                     const std::vector<std::string>& bookings,
                                     absl::Time now);

 private:
  explicit NotificationStore(sql::Database* db) : db_(db) {}
  sql::Database* db_;
};

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_STORE_H_

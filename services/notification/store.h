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
#include "common/auth/hmac_keys.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "training/events/v1/events.pb.h"
#include "training/notification/v1/resources.pb.h"

namespace training::notification {

std::vector<sql::Migration> NotificationMigrations();

// A new delivery's or enquiry's id: 20 lower-case hex digits, unguessable
// enough that one cannot be found by counting.
std::string NewRecordId();

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
  // A scheduled message's slot (schedule_rules.h): its session, and its
  // offset, which also tells a booking's reminders apart.
  std::string session{};
  int anchor = 0;
  absl::Duration offset{};
  std::string enquiry{};  // `enquiries/{id}` for an enquiry's messages
};

// A scheduled message claimed when due, to be checked and rendered.
struct DueMessage {
  std::string id{};
  std::string source_event_id{};
  v1::MessageKind kind = v1::MESSAGE_KIND_UNSPECIFIED;
  std::string booking{};
  std::string session{};
  int anchor = 0;
  absl::Duration offset{};
  std::string message_id{};
  absl::Time event_time{};
};

// A delivery claimed for sending.
struct ClaimedDelivery {
  std::string id{};
  v1::MessageKind kind = v1::MESSAGE_KIND_UNSPECIFIED;
  std::string recipient{};
  std::string message{};
  int attempts = 0;  // this one included
  absl::Time event_time{};
  v1::Delivery::RecipientRole role = v1::Delivery::ATTENDEE;
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

// Why a message is not sent to its address (CheckRecipient).
struct RecipientBlock {
  std::string notify_status{};
  std::string reason{};
};

// An address the relay refused for good.
struct SuppressionEntry {
  std::string address_hash{};
  std::string masked_recipient{};
  std::string reason{};
  std::string delivery{};
  absl::Time create_time{};
};

// An enquiry as kept.
struct EnquiryRecord {
  std::string id{};
  std::string request_id{};
  std::string display_name{};
  std::string email{};
  std::string session{};
  std::string text{};
  absl::Time create_time{};
};

// Filters of ListDeliveries and CountDeliveries.
struct DeliveryFilter {
  std::string booking;
  std::vector<int> states;
  std::vector<std::string> notify_statuses;
  std::vector<int> kinds;
  std::optional<absl::Time> start;
  std::optional<absl::Time> end;
  // Only messages to an address with one of these keyed hashes.
  std::vector<std::string> recipient_hashes;
};

class NotificationStore {
 public:
  // Applies the migrations; `db` and `address_keys` are not owned and must
  // outlive this. Every address written is stored with its keyed hash under
  // the current key (common/auth/address_hash.h), by which erasure,
  // suppressions and opt-outs find it.
  static absl::StatusOr<std::unique_ptr<NotificationStore>> Open(
      sql::Database* db, const auth::HmacKeys* address_keys);

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
  absl::StatusOr<bool> AddDelivery(sql::Transaction& tx,
                                   const NewDelivery& delivery, absl::Time now);
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

  // --- Scheduled messages (store_schedule.cc) ---
  // Stores a message to be checked and rendered at `due` (SCHEDULED, no
  // recipient yet); nothing when that slot is stored already. With
  // `once_per_booking`, nothing either when the booking has a message of
  // that kind not cancelled (attendance recorded twice).
  absl::StatusOr<bool> AddScheduled(sql::Transaction& tx, const NewDelivery& d,
                                    absl::Time due, bool once_per_booking,
                                    absl::Time now);
  // A session's times changed: its scheduled messages move with it; a
  // reminder whose new time has passed is cancelled (the change notice says
  // what it would have).
  static absl::Status MoveScheduled(sql::Transaction& tx,
                                    const std::string& session,
                                    absl::Time start, absl::Time end,
                                    absl::Time now);
  // Cancels the scheduled messages of a booking (`column` "booking") or a
  // session ("session"), with the reason in `last_error`: those still
  // waiting, and those rendered but not yet sent (a reminder queued just
  // before the cancellation was heard of).
  static absl::Status CancelScheduled(sql::Transaction& tx,
                                      absl::string_view column,
                                      const std::string& value,
                                      const std::string& reason,
                                      absl::Time now);
  // The next scheduled message whose time has come, leased to `owner`.
  absl::StatusOr<std::optional<DueMessage>> ClaimDue(const std::string& owner,
                                                     absl::Time now,
                                                     absl::Duration lease);
  // The claimed message rendered (`rendered` holds recipient, template and
  // text; a failure as in AddDelivery) and queued to send now; false when
  // `owner` no longer holds it.
  absl::StatusOr<bool> QueueDue(sql::Transaction& tx, const DueMessage& due,
                                const std::string& owner,
                                const NewDelivery& rendered, absl::Time now);
  // The claimed message is not sent: CANCELLED with `reason`.
  absl::StatusOr<bool> CancelDue(const DueMessage& due,
                                 const std::string& owner,
                                 const std::string& reason, absl::Time now);
  // The claimed message waits until `until` (its session moved, its link is
  // not out yet, booking could not be asked).
  absl::StatusOr<bool> PostponeDue(const DueMessage& due,
                                   const std::string& owner, absl::Time until,
                                   absl::Time now);

  // --- Enquiries (store_enquiries.cc) ---
  // The enquiry stored under `request_id`, if any.
  static absl::StatusOr<std::optional<EnquiryRecord>> FindEnquiryByRequest(
      sql::Transaction& tx, const std::string& request_id);
  // Enquiries from `email` (under any key) at or after `since`, and when
  // the oldest of them came.
  absl::StatusOr<std::pair<int64_t, absl::Time>> RecentEnquiries(
      sql::Transaction& tx, const std::string& email, absl::Time since);
  absl::Status AddEnquiry(sql::Transaction& tx, const EnquiryRecord& e);
  // Everything kept from `email`, newest first.
  absl::StatusOr<std::vector<EnquiryRecord>> EnquiriesFrom(
      const std::string& email);

  // --- Addresses (store_addresses.cc) ---
  // The keyed hash of `email` under the current key.
  std::string AddressHash(absl::string_view email) const;
  // Whether any key's hash of `email` opted out of feedback requests.
  absl::StatusOr<bool> OptedOutOfFeedback(absl::string_view email);
  // Whether a message may go to `recipient` now: not when the address is
  // suppressed (`permanent-failure`), nor when it was sent `daily_cap`
  // messages in the last 24 hours (`technical-failure`; 0: no cap).
  absl::StatusOr<std::optional<RecipientBlock>> CheckRecipient(
      const std::string& recipient, absl::Time now, int daily_cap);
  // Suppresses `recipient` after delivery `id` was refused for good.
  absl::Status Suppress(const std::string& id, const std::string& recipient,
                        const std::string& reason, absl::Time now);
  // Newest first, after the page key (create time, hash) when given.
  absl::StatusOr<std::vector<SuppressionEntry>> ListSuppressions(
      std::optional<std::pair<int64_t, std::string>> after, int limit);
  // False when there was none.
  absl::StatusOr<bool> DeleteSuppression(const std::string& address_hash);
  absl::StatusOr<std::optional<SuppressionEntry>> FindSuppression(
      const std::string& email);
  // The keyed hashes of `email` under every key, current first.
  std::vector<std::string> AddressHashes(absl::string_view email) const;
  // Erasure of the address whose keyed hash is `address_hash`: its
  // messages (and the team's copies of its enquiries) lose address and
  // text, unsent ones are cancelled, its enquiries lose their words, its
  // opt-out and suppression go. Rows stay, so that counts stay true.
  static absl::Status ForgetAddress(sql::Transaction& tx,
                                    const std::string& address_hash,
                                    absl::Time now);
  // Erasure of a line manager: the copies sent about these bookings.
  static absl::Status ForgetLineManagerCopies(
      sql::Transaction& tx, const std::vector<std::string>& bookings,
      absl::Time now);
  // Whether `kid` names the key this service hashes addresses under (an
  // empty kid is taken to).
  bool IsCurrentAddressKey(const std::string& kid) const;
  // Opts out the address delivery `id` went to; false when the delivery is
  // unknown or its address was erased.
  absl::StatusOr<bool> OptOutOfDelivery(const std::string& id, absl::Time now);
  // Erasure: unsent messages about these bookings are cancelled (one being
  // sent included: its sender's outcome is then not recorded), and the
  // address and text of every one are blanked.
  static absl::Status ForgetBookings(sql::Transaction& tx,
                                     const std::vector<std::string>& bookings,
                                     absl::Time now);

 private:
  // " IN ($n, …)" of `email`'s hashes under every key, added to `params`.
  std::string AddressIn(sql::Params& params, absl::string_view email) const;
  // Runs a change of one row (one only its lease holder may make) in its
  // own transaction; false when no row matched.
  absl::StatusOr<bool> ChangeOne(const std::string& sql,
                                 const sql::Params& params);

  NotificationStore(sql::Database* db, const auth::HmacKeys* address_keys)
      : db_(db), address_keys_(address_keys) {}
  sql::Database* db_;
  const auth::HmacKeys* address_keys_;
};

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_STORE_H_

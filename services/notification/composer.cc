#include "services/notification/composer.h"

#include <map>
#include <optional>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/events/consumer.h"
#include "common/logging/log.h"
#include "common/metrics/metrics.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/notification/personalisation.h"

namespace training::notification {

namespace booking = training::booking::v1;
namespace catalogue = training::catalogue::v1;

struct Composer::Prepared {
  PlannedMessage plan{};
  std::string booking{};
  booking::AttendeeContact contact{};
  SessionDetails session{};
  std::map<std::string, std::string> extras{};
};

namespace {

bool IsGone(const absl::Status& status) { return absl::IsNotFound(status); }

// "5pm on Tuesday 28 March 2027" in the session's zone.
std::string LocalDeadline(absl::Time time, const std::string& zone_name) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(zone_name, &zone)) zone = absl::UTCTimeZone();
  return absl::StrCat(FormatClock(time, zone), " on ", FormatDate(time, zone));
}

// What changed about a session, in words, and the yes/no values of each.
void DescribeChange(const events::v1::SessionChanged& changed,
                    const SessionDetails& session,
                    std::map<std::string, std::string>& extras) {
  bool time = false, place = false, joining = false;
  for (int change : changed.changes()) {
    time |= change == events::v1::TIME;
    place |= change == events::v1::PLACE;
    joining |= change == events::v1::JOINING_DETAILS;
  }
  std::vector<std::string> words;
  if (time) {
    std::string was;
    absl::TimeZone zone;
    if (changed.has_previous_start_time() &&
        absl::LoadTimeZone(session.time_zone, &zone)) {
      const absl::Time start = FromProto(changed.previous_start_time());
      was = absl::StrCat(" (it was ", FormatDate(start, zone), " at ",
                         FormatClock(start, zone), ")");
    }
    words.push_back(absl::StrCat("The date or time has changed", was, "."));
  }
  if (place) words.push_back("The place has changed.");
  if (joining) words.push_back("The details for joining online have changed.");
  extras["what_changed"] = absl::StrJoin(words, " ");
  extras["time_changed"] = time ? "yes" : "no";
  extras["place_changed"] = place ? "yes" : "no";
  extras["joining_details_changed"] = joining ? "yes" : "no";
}

// Facts set aside without their messages, by why.
void CountDropped(const std::string& reason) {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_notification_facts_dropped_total",
      "Facts set aside unsent: too_old (past --max_fact_age when first "
      "read) or refused (no retry could compose them).",
      {"reason"});
  family.Add({reason});
}

}  // namespace

Composer::Composer(NotificationStore* store, Directory* directory,
                   const Clock* clock, ComposerOptions options)
    : store_(store),
      directory_(directory),
      clock_(clock),
      options_(std::move(options)) {}

Composer::~Composer() { Stop(); }

absl::StatusOr<bool> Composer::PrepareBooking(const ClaimedFact& fact,
                                              const PlannedMessage& plan,
                                              const std::string& booking_name,
                                              SessionCache& sessions,
                                              std::vector<Prepared>& out) {
  absl::StatusOr<booking::AttendeeContact> contact =
      directory_->Contact(booking_name, plan.previous_contact_id);
  if (IsGone(contact.status())) return false;  // nobody to write to
  if (!contact.ok()) return contact.status();
  Prepared p{.plan = plan, .booking = booking_name, .contact = *contact};
  // An invite only for a place that is still confirmed now: a fact
  // composed late must not put back into a calendar what a later one took
  // out.
  if (p.plan.calendar == CalendarPart::kRequest &&
      p.contact.state() != booking::Booking::CONFIRMED) {
    p.plan.calendar = CalendarPart::kNone;
  }
  p.plan.session = plan.session.empty() ? p.contact.session() : plan.session;
  if (p.plan.session.empty()) {
    // A waiting-list entry for any date of the course.
    absl::StatusOr<std::string> title =
        directory_->CourseTitle(p.contact.course());
    if (IsGone(title.status())) return false;
    if (!title.ok()) return title.status();
    p.plan.calendar = CalendarPart::kNone;
    p.session = SessionDetails{.title = *title, .any_date = true};
  } else {
    const bool with_link = p.plan.calendar == CalendarPart::kRequest;
    const auto key = std::make_pair(p.plan.session, with_link);
    auto cached = sessions.find(key);
    if (cached == sessions.end()) {
      absl::StatusOr<SessionDetails> session =
          directory_->Session(p.plan.session, with_link);
      if (IsGone(session.status())) return false;
      if (!session.ok()) return session.status();
      cached = sessions.emplace(key, *std::move(session)).first;
    }
    p.session = cached->second;
  }
  const events::v1::Event& e = fact.event;
  switch (plan.kind) {
    case v1::BOOKING_WAITLISTED:
      p.extras["waitlist_position"] =
          absl::StrCat(e.booking_waitlisted().position());
      break;
    case v1::PLACE_OFFERED:
      p.extras["offer_deadline"] = LocalDeadline(
          FromProto(e.place_offered().expire_time()), p.session.time_zone);
      break;
    case v1::BOOKING_CANCELLED:
      p.extras["late"] = e.booking_cancelled().late() ? "yes" : "no";
      break;
    case v1::SESSION_CANCELLED:
      p.extras["cancellation_reason"] = p.session.cancellation_reason.empty()
                                            ? "none given"
                                            : p.session.cancellation_reason;
      break;
    case v1::SESSION_CHANGED:
      DescribeChange(e.session_changed(), p.session, p.extras);
      break;
    default:
      break;
  }
  out.push_back(std::move(p));
  return true;
}

absl::Status Composer::Store(sql::Transaction& tx, const ClaimedFact& fact,
                             std::vector<Prepared>& prepared) {
  const absl::Time now = clock_->Now();
  const SenderConfig& sender = options_.sender;
  for (Prepared& p : prepared) {
    absl::StatusOr<TemplateRevision> tmpl =
        NotificationStore::ActiveTemplate(tx, p.plan.kind);
    // The place's later messages are scheduled whatever becomes of this one.
    RETURN_IF_ERROR(ScheduleFor(tx, fact, p, now));
    if (absl::IsNotFound(tmpl.status())) {
      log::Warning("notification.no_template",
                   {{"kind", log::Id(v1::MessageKind_Name(p.plan.kind))}});
      continue;
    }
    if (!tmpl.ok()) return tmpl.status();
    using Values = std::map<std::string, std::string>;
    ASSIGN_OR_RETURN(
        Values values,
        BaseValues({.name = p.contact.display_name(),
                    .reference = p.contact.reference(),
                    .manage_token = p.contact.manage_token()},
                   p.session, sender.public_base_url, sender.team_email));
    values.insert(p.extras.begin(), p.extras.end());
    std::optional<std::pair<CalendarEvent, CalendarMethod>> calendar;
    if (p.plan.calendar != CalendarPart::kNone) {
      const std::string uid = CalendarUid(p.contact.reference(), p.plan.session,
                                          sender.mail_domain);
      ASSIGN_OR_RETURN(int64_t sequence,
                       NotificationStore::NextCalendarSequence(tx, uid));
      calendar.emplace(
          BookingCalendarEvent(
              sender, p.session, p.contact.reference(), p.plan.session,
              {p.contact.display_name(), p.contact.email()}, sequence, now),
          p.plan.calendar == CalendarPart::kRequest ? CalendarMethod::kRequest
                                                    : CalendarMethod::kCancel);
    }
    const NewDelivery base{.source_event_id = fact.event_id,
                           .kind = p.plan.kind,
                           .booking = p.booking,
                           .role = p.plan.role,
                           .recipient = p.contact.email(),
                           .message_id = NewMessageId(sender.mail_domain),
                           .event_time = FromProto(fact.event.occur_time())};
    for (const NewDelivery& d :
         RenderMessages(sender, *tmpl, std::move(values), base, calendar,
                        p.plan.role == v1::Delivery::ATTENDEE
                            ? p.contact.line_manager_email()
                            : "",
                        now)) {
      RETURN_IF_ERROR(store_->AddDelivery(tx, d, now).status());
    }
  }
  return absl::OkStatus();
}

absl::Status Composer::ScheduleFor(sql::Transaction& tx,
                                   const ClaimedFact& fact, const Prepared& p,
                                   absl::Time now) {
  std::vector<ScheduleSlot> slots;
  bool once_per_booking = false;
  switch (p.plan.kind) {
    case v1::BOOKING_CONFIRMED:
    case v1::BOOKING_PROMOTED:
      if (p.contact.state() != booking::Booking::CONFIRMED ||
          p.session.any_date) {
        return absl::OkStatus();
      }
      slots = SlotsForConfirmedPlace(options_.schedule, p.session.start,
                                     p.session.online,
                                     FromProto(fact.event.occur_time()));
      break;
    default:
      return absl::OkStatus();
  }
  for (const ScheduleSlot& slot : slots) {
    RETURN_IF_ERROR(AddSlot(tx, fact, p.booking, p.plan.session, slot,
                            once_per_booking, now));
  }
  return absl::OkStatus();
}

absl::Status Composer::AddSlot(sql::Transaction& tx, const ClaimedFact& fact,
                               const std::string& booking_name,
                               const std::string& session,
                               const ScheduleSlot& slot, bool once_per_booking,
                               absl::Time now) {
  const NewDelivery d{.source_event_id = fact.event_id,
                      .kind = slot.kind,
                      .booking = booking_name,
                      .role = v1::Delivery::ATTENDEE,
                      .message_id = NewMessageId(options_.sender.mail_domain),
                      .event_time = FromProto(fact.event.occur_time()),
                      .session = session,
                      .anchor = static_cast<int>(slot.anchor),
                      .offset = slot.offset};
  return store_->AddScheduled(tx, d, slot.due, once_per_booking, now).status();
}

absl::Status Composer::ChangeSchedule(const ClaimedFact& fact, absl::Time now) {
  const events::v1::Event& e = fact.event;
  return sql::RunInTransaction(
      store_->db(), sql::TxMode::kWrite,
      [&](sql::Transaction& tx) -> absl::Status {
        if (e.has_session_changed() &&
            absl::c_linear_search(e.session_changed().changes(),
                                  events::v1::TIME)) {
          const catalogue::Session& session = e.session_changed().session();
          return NotificationStore::MoveScheduled(
              tx, session.name(), FromProto(session.start_time()),
              FromProto(session.end_time()), now);
        }
        if (e.has_session_cancelled()) {
          return NotificationStore::CancelScheduled(
              tx, "session", e.session_cancelled().session(),
              "the session was cancelled", now);
        }
        if (e.has_booking_cancelled()) {
          return NotificationStore::CancelScheduled(
              tx, "booking", e.booking_cancelled().booking(),
              "the booking was cancelled", now);
        }
        return absl::OkStatus();
      });
}

absl::Status Composer::ScheduleAfterSession(const ClaimedFact& fact,
                                            absl::Time now) {
  const events::v1::AttendanceRecorded& recorded =
      fact.event.attendance_recorded();
  absl::StatusOr<SessionDetails> session =
      directory_->Session(recorded.session(), false);
  if (IsGone(session.status())) {
    return sql::RunInTransaction(
        store_->db(), sql::TxMode::kWrite, [&](sql::Transaction& tx) {
          return NotificationStore::FinishFact(tx, fact.event_id);
        });
  }
  if (!session.ok()) return session.status();
  bool notices = false;
  if (recorded.no_show_bookings_size() > 0) {
    ASSIGN_OR_RETURN(std::optional<std::string> policy,
                     directory_->NoShowPolicy(session->course));
    notices = policy.has_value();
  }
  const absl::Time recorded_at = FromProto(fact.event.occur_time());
  return sql::RunInTransaction(
      store_->db(), sql::TxMode::kWrite,
      [&](sql::Transaction& tx) -> absl::Status {
        const ScheduleSlot feedback = SlotAfterSession(
            options_.schedule, v1::FEEDBACK_REQUEST, session->end, recorded_at);
        for (const std::string& name : recorded.attended_bookings()) {
          RETURN_IF_ERROR(
              AddSlot(tx, fact, name, recorded.session(), feedback, true, now));
        }
        if (notices) {
          const ScheduleSlot notice = SlotAfterSession(
              options_.schedule, v1::NO_SHOW_NOTICE, session->end, recorded_at);
          for (const std::string& name : recorded.no_show_bookings()) {
            RETURN_IF_ERROR(
                AddSlot(tx, fact, name, recorded.session(), notice, true, now));
          }
        }
        return NotificationStore::FinishFact(tx, fact.event_id);
      });
}

absl::Status Composer::ComposeSessionWide(const ClaimedFact& fact,
                                          const PlannedMessage& plan,
                                          SessionCache& sessions) {
  std::string cursor = fact.cursor;
  while (!stop_.HasBeenNotified()) {
    ASSIGN_OR_RETURN(booking::ListSessionBookingsResponse page,
                     directory_->ConfirmedBookings(plan.session, cursor));
    std::vector<Prepared> prepared;
    for (const std::string& name : page.bookings()) {
      RETURN_IF_ERROR(
          PrepareBooking(fact, plan, name, sessions, prepared).status());
    }
    RETURN_IF_ERROR(sql::RunInTransaction(
        store_->db(), sql::TxMode::kWrite, [&](sql::Transaction& tx) {
          RETURN_IF_ERROR(Store(tx, fact, prepared));
          return page.next_page_token().empty()
                     ? NotificationStore::FinishFact(tx, fact.event_id)
                     : NotificationStore::SaveFactCursor(
                           tx, fact.event_id, page.next_page_token());
        }));
    if (page.next_page_token().empty()) return absl::OkStatus();
    cursor = page.next_page_token();
  }
  return absl::CancelledError("stopping");
}

absl::StatusOr<bool> Composer::ComposeOne() {
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(std::optional<ClaimedFact> fact,
                   store_->ClaimFact(options_.owner, now, options_.lease));
  if (!fact) return false;
  const events::v1::Event& event = fact->event;
  absl::Status composed = [&]() -> absl::Status {
    if (now - FromProto(event.occur_time()) > options_.max_fact_age) {
      log::Info("notification.fact_too_old", {{"event", log::Id(event.id())}});
      CountDropped("too_old");
      return sql::RunInTransaction(
          store_->db(), sql::TxMode::kWrite, [&](sql::Transaction& tx) {
            return NotificationStore::FinishFact(tx, fact->event_id);
          });
    }
    if (event.has_personal_data_erased()) {
      if (!store_->IsCurrentAddressKey(
              event.personal_data_erased().address_hash_key())) {
        // Records hashed under this service's key cannot be matched by a
        // hash made under another: say so, for the operator to re-hash.
        log::Warning(
            "notification.erasure_key_mismatch",
            {{"event", log::Id(event.id())},
             {"kid",
              log::Id(event.personal_data_erased().address_hash_key())}});
      }
      std::vector<std::string> bookings(
          event.personal_data_erased().bookings().begin(),
          event.personal_data_erased().bookings().end());
      return sql::RunInTransaction(
          store_->db(), sql::TxMode::kWrite, [&](sql::Transaction& tx) {
            RETURN_IF_ERROR(
                NotificationStore::ForgetBookings(tx, bookings, now));
            // Line-manager copies and enquiries are found by the address.
            const events::v1::PersonalDataErased& erased =
                event.personal_data_erased();
            RETURN_IF_ERROR(NotificationStore::ForgetLineManagerCopies(
                tx,
                {erased.line_manager_bookings().begin(),
                 erased.line_manager_bookings().end()},
                now));
            RETURN_IF_ERROR(NotificationStore::ForgetAddress(
                tx, erased.address_hash(), now));
            return NotificationStore::FinishFact(tx, fact->event_id);
          });
    }
    if (event.has_attendance_recorded()) {
      return ScheduleAfterSession(*fact, now);
    }
    // Scheduled messages move or go first: the messages composed next
    // may tell the person so.
    RETURN_IF_ERROR(ChangeSchedule(*fact, now));
    std::vector<Prepared> prepared;
    SessionCache sessions;
    for (const PlannedMessage& plan : PlanMessages(event)) {
      if (plan.booking.empty()) {
        RETURN_IF_ERROR(ComposeSessionWide(*fact, plan, sessions));
        continue;
      }
      RETURN_IF_ERROR(
          PrepareBooking(*fact, plan, plan.booking, sessions, prepared)
              .status());
    }
    return sql::RunInTransaction(
        store_->db(), sql::TxMode::kWrite, [&](sql::Transaction& tx) {
          RETURN_IF_ERROR(Store(tx, *fact, prepared));
          return NotificationStore::FinishFact(tx, fact->event_id);
        });
  }();
  if (composed.ok()) return true;
  log::Warning("notification.compose_failed",
               {{"event", log::Id(event.id())},
                {"code", composed.code()},
                {"attempts", fact->attempts},
                {"error", log::ScrubbedText(composed.message())}});
  if (events::IsTransientFailure(composed)) {
    // Booking, the catalogue or the database will be back: try again,
    // waiting longer each time (the fact holds back its subject's later
    // ones meanwhile, which is what keeps their order).
    const absl::Duration wait = std::min(
        options_.retry_after * (int64_t{1} << std::min(fact->attempts, 10)),
        options_.max_retry_after);
    RETURN_IF_ERROR(store_->PostponeFact(fact->event_id, now + wait));
    return true;
  }
  // A verdict no retry can change (the event names something malformed):
  // dropped, counted and logged, so that it holds nothing back.
  CountDropped("refused");
  RETURN_IF_ERROR(sql::RunInTransaction(
      store_->db(), sql::TxMode::kWrite, [&](sql::Transaction& tx) {
        return NotificationStore::FinishFact(tx, fact->event_id);
      }));
  return true;
}

void Composer::Start() {
  thread_ = std::thread([this] {
    while (!stop_.HasBeenNotified()) {
      absl::StatusOr<bool> composed = ComposeOne();
      if (!composed.ok()) {
        log::Warning("notification.composer_error",
                     {{"code", composed.status().code()}});
      }
      if (!composed.ok() || !*composed) {
        stop_.WaitForNotificationWithTimeout(options_.idle_poll);
      }
    }
  });
}

void Composer::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace training::notification

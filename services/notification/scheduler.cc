#include "services/notification/scheduler.h"

#include <openssl/crypto.h>

#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/runtime/crash_point.h"
#include "common/status_macros.h"
#include "services/notification/personalisation.h"
#include "services/notification/schedule_rules.h"

namespace training::notification {

namespace booking = training::booking::v1;

namespace {

constexpr char kOptOutContext[] = "training.v1/feedback-opt-out:";

}  // namespace

std::string FeedbackOptOutToken(const auth::HmacKeys& keys,
                                const std::string& delivery_id) {
  return absl::StrCat(delivery_id, ".",
                      keys.Mac(0, kOptOutContext, delivery_id));
}

absl::StatusOr<std::string> CheckFeedbackOptOutToken(const auth::HmacKeys& keys,
                                                     const std::string& token) {
  const size_t dot = token.find('.');
  if (dot != std::string::npos && dot > 0 && dot <= 64) {
    const std::string id = token.substr(0, dot);
    const absl::string_view mac = absl::string_view(token).substr(dot + 1);
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::string expected = keys.Mac(i, kOptOutContext, id);
      if (expected.size() == mac.size() &&
          CRYPTO_memcmp(expected.data(), mac.data(), mac.size()) == 0) {
        return id;
      }
    }
  }
  return absl::InvalidArgumentError("token: is not an opt-out link's token");
}

Scheduler::Scheduler(NotificationStore* store, Directory* directory,
                     const Clock* clock, const auth::HmacKeys* keys,
                     SchedulerOptions options)
    : store_(store),
      directory_(directory),
      clock_(clock),
      keys_(keys),
      options_(std::move(options)) {}

Scheduler::~Scheduler() { Stop(); }

absl::Status Scheduler::Render(const DueMessage& due,
                               const booking::AttendeeContact& contact,
                               const SessionDetails& session,
                               const std::map<std::string, std::string>& extras,
                               absl::Time now) {
  const SenderConfig& sender = options_.sender;
  bool queued = false;
  RETURN_IF_ERROR(sql::RunInTransaction(
      store_->db(), sql::TxMode::kWrite,
      [&](sql::Transaction& tx) -> absl::Status {
        queued = false;
        absl::StatusOr<TemplateRevision> tmpl =
            NotificationStore::ActiveTemplate(tx, due.kind);
        if (absl::IsNotFound(tmpl.status())) return absl::OkStatus();
        if (!tmpl.ok()) return tmpl.status();
        using Values = std::map<std::string, std::string>;
        ASSIGN_OR_RETURN(
            Values values,
            BaseValues({.name = contact.display_name(),
                        .reference = contact.reference(),
                        .manage_token = contact.manage_token()},
                       session, sender.public_base_url, sender.team_email));
        values.insert(extras.begin(), extras.end());
        const NewDelivery base{.source_event_id = due.source_event_id,
                               .kind = due.kind,
                               .booking = due.booking,
                               .role = v1::Delivery::ATTENDEE,
                               .recipient = contact.email(),
                               .message_id = due.message_id,
                               .event_time = due.event_time,
                               .session = due.session,
                               .anchor = due.anchor,
                               .offset = due.offset};
        std::vector<NewDelivery> messages =
            RenderMessages(sender, *tmpl, std::move(values), base, std::nullopt,
                           contact.line_manager_email(), now);
        ASSIGN_OR_RETURN(queued, store_->QueueDue(tx, due, options_.owner,
                                                  messages.front(), now));
        if (!queued) return absl::OkStatus();  // the lease was lost
        for (size_t i = 1; i < messages.size(); ++i) {
          RETURN_IF_ERROR(store_->AddDelivery(tx, messages[i], now).status());
        }
        return absl::OkStatus();
      }));
  if (!queued) {
    // No template for the kind (deleted), or another replica took over.
    return store_
        ->CancelDue(due, options_.owner, "no template for this kind", now)
        .status();
  }
  return absl::OkStatus();
}

absl::Status Scheduler::Settle(const DueMessage& due, absl::Time now) {
  absl::StatusOr<booking::AttendeeContact> contact =
      directory_->Contact(due.booking, "");
  if (absl::IsNotFound(contact.status())) {
    return store_->CancelDue(due, options_.owner, "nobody to write to", now)
        .status();
  }
  if (!contact.ok()) return contact.status();
  absl::StatusOr<SessionDetails> session =
      directory_->Session(due.session, due.kind == v1::JOINING_INSTRUCTIONS);
  if (absl::IsNotFound(session.status())) {
    return store_->CancelDue(due, options_.owner, "the session is gone", now)
        .status();
  }
  if (!session.ok()) return session.status();
  DueCheck check{.kind = due.kind,
                 .anchor = static_cast<Anchor>(due.anchor),
                 .offset = due.offset,
                 .now = now,
                 .confirmed = contact->state() == booking::Booking::CONFIRMED &&
                              contact->session() == due.session,
                 .attended = contact->attendance() == booking::ATTENDED,
                 .no_show = contact->attendance() == booking::NO_SHOW,
                 .session_cancelled = session->cancelled,
                 .start = session->start,
                 .end = session->end,
                 .online = session->online,
                 .has_joining_link = !session->joining_url.empty()};
  std::map<std::string, std::string> extras;
  if (due.kind == v1::FEEDBACK_REQUEST) {
    ASSIGN_OR_RETURN(check.opted_out_of_feedback,
                     store_->OptedOutOfFeedback(contact->email()));
    extras["feedback_link"] =
        options_.feedback_form_url.empty()
            ? absl::StrCat(options_.sender.public_base_url, "/feedback")
            : options_.feedback_form_url;
    extras["opt_out_link"] =
        absl::StrCat(options_.sender.public_base_url, "/feedback/opt-out/",
                     FeedbackOptOutToken(*keys_, due.id));
  }
  if (due.kind == v1::NO_SHOW_NOTICE) {
    ASSIGN_OR_RETURN(std::optional<std::string> policy,
                     directory_->NoShowPolicy(session->course));
    check.has_no_show_policy = policy.has_value();
    extras["no_show_policy"] = policy.value_or("");
  }
  if (due.kind == v1::JOINING_INSTRUCTIONS) {
    extras["joining_link"] = session->joining_url;
  }
  const DueDecision decision = DecideDue(check);
  switch (decision.verdict) {
    case DueDecision::kCancel:
      return store_->CancelDue(due, options_.owner, decision.reason, now)
          .status();
    case DueDecision::kWaitUntil:
      return store_->PostponeDue(due, options_.owner, decision.wait_until, now)
          .status();
    case DueDecision::kSend:
      break;
  }
  return Render(due, *contact, *session, extras, now);
}

absl::StatusOr<bool> Scheduler::SettleOne() {
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(std::optional<DueMessage> due,
                   store_->ClaimDue(options_.owner, now, options_.lease));
  if (!due) return false;
  runtime::CrashPoint("notification.after_claim_due");
  absl::Status settled = Settle(*due, now);
  if (settled.ok()) return true;
  log::Warning("notification.schedule_failed",
               {{"delivery", log::Id(due->id)},
                {"code", settled.code()},
                {"error", log::ScrubbedText(settled.message())}});
  // Asked again later whatever went wrong (a service down, a key refused):
  // only a verdict of the rules cancels a message, and they cancel a
  // reminder once its session has started.
  RETURN_IF_ERROR(
      store_->PostponeDue(*due, options_.owner, now + options_.retry_after, now)
          .status());
  return true;
}

void Scheduler::Start() {
  thread_ = std::thread([this] {
    while (!stop_.HasBeenNotified()) {
      absl::StatusOr<bool> settled = SettleOne();
      if (!settled.ok()) {
        log::Warning("notification.scheduler_error",
                     {{"code", settled.status().code()}});
      }
      if (!settled.ok() || !*settled) {
        stop_.WaitForNotificationWithTimeout(options_.idle_poll);
      }
    }
  });
}

void Scheduler::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace training::notification

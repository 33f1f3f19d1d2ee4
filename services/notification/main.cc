// training_notification: the notification service. It keeps every booking
// and catalogue fact from the event streams (--redis_url) in its database
// (--database_url), composes the messages each calls for (asking booking
// and the catalogue for contacts and sessions), and sends them through an
// SMTP relay (--smtp_host). Its RPCs are declared in
// proto/training/notification/v1/notification_service.proto.

#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/auth/hmac_keys.h"
#include "common/events/consumer.h"
#include "common/logging/log.h"
#include "common/metrics/metrics.h"
#include "common/redis/redis_client.h"
#include "common/runtime/server_runner.h"
#include "common/runtime/service_channel.h"
#include "common/runtime/shared_secrets.h"
#include "common/runtime/tls.h"
#include "common/sql/database.h"
#include "common/status_macros.h"
#include "common/time/clock.h"
#include "services/notification/calendar_download.h"
#include "services/notification/composer.h"
#include "services/notification/delivery_log.h"
#include "services/notification/delivery_worker.h"
#include "services/notification/directory.h"
#include "services/notification/handler.h"
#include "services/notification/mail_relay.h"
#include "services/notification/scheduler.h"
#include "services/notification/store.h"
#include "services/notification/templates.h"
#include "services/notification/webhooks/webhook_setup.h"
#include "training/notification/v1/notification_service.grpc.pb.h"

ABSL_FLAG(std::string, booking_address, "127.0.0.1:7052",
          "Booking's gRPC address, for contacts and manage-token checks.");
ABSL_FLAG(std::string, catalogue_address, "127.0.0.1:7051",
          "The catalogue's gRPC address, for sessions and venues.");
ABSL_FLAG(absl::Duration, lookup_timeout, absl::Seconds(5),
          "Deadline of each call to booking or the catalogue.");
ABSL_FLAG(std::string, smtp_host, "127.0.0.1", "The mail relay's host.");
ABSL_FLAG(int, smtp_port, 25, "The mail relay's port.");
ABSL_FLAG(std::string, smtp_tls, "none",
          "none, starttls (required) or implicit (smtps).");
ABSL_FLAG(std::string, smtp_user, "", "User for the relay; empty: no AUTH.");
ABSL_FLAG(std::string, smtp_password_file, "",
          "File holding the relay password (its first line).");
ABSL_FLAG(absl::Duration, smtp_timeout, absl::Seconds(30),
          "Longest one SMTP attempt may take.");
ABSL_FLAG(absl::Duration, send_lease, absl::Seconds(70),
          "How long a sender holds a message it is sending; must exceed "
          "--smtp_timeout. A sender that dies mid-send gives the message "
          "up to another after this.");
ABSL_FLAG(double, max_send_rate, 10,
          "Messages per second this process hands to the relay; 0: no limit.");
ABSL_FLAG(int, max_attempts, 8,
          "Attempts before a temporarily failing message is given up.");
ABSL_FLAG(absl::Duration, retry_base, absl::Seconds(30),
          "First retry's longest wait; doubled per attempt, with full "
          "jitter, up to --retry_cap.");
ABSL_FLAG(absl::Duration, retry_cap, absl::Hours(1),
          "Longest wait between attempts.");
ABSL_FLAG(int, senders, 2, "Threads sending to the relay.");
ABSL_FLAG(std::string, mail_from, "training@localhost",
          "The training team's address: From, envelope sender, calendar "
          "ORGANIZER and where questions go.");
ABSL_FLAG(std::string, mail_from_name, "Safeguarding Partnership Training",
          "The name shown beside --mail_from.");
ABSL_FLAG(std::string, mail_domain, "localhost",
          "Domain of Message-IDs and calendar UIDs.");
ABSL_FLAG(std::string, public_base_url, "http://localhost:8080",
          "Where the public pages are: the manage link in every message is "
          "<public_base_url>/manage/<reference>/<token>.");
ABSL_FLAG(absl::Duration, max_fact_age, absl::Hours(48),
          "Facts older than this when first seen are dropped unsent (a "
          "consumer group created late replays days of events).");

ABSL_FLAG(std::string, address_hash_secrets, "",
          "The suite's address-hash secrets, kid:base64url,… (the first is "
          "current): the same list booking is given, so that an erasure's "
          "hash finds this service's records of the address. When empty, a "
          "secret is made once and kept in <data_dir>/address_hash_secrets "
          "(local runs only).");
ABSL_FLAG(std::vector<std::string>, reminder_offsets,
          std::vector<std::string>({"336h", "48h"}),
          "When reminders go, before the start: durations, comma-separated "
          "(empty: no reminders).");
ABSL_FLAG(absl::Duration, joining_lead, absl::Hours(24),
          "How long before an online session its joining instructions go.");
ABSL_FLAG(absl::Duration, after_session_delay, absl::Hours(1),
          "How long after a session's end feedback requests and no-show "
          "notices go (at once when attendance is recorded later).");
ABSL_FLAG(std::string, team_address, "",
          "Where enquiries from the \"get in touch\" form go; empty: "
          "--mail_from.");
ABSL_FLAG(int, enquiries_per_address_per_hour, 3,
          "Enquiries one e-mail address may send in an hour; more are "
          "refused (RESOURCE_EXHAUSTED).");
ABSL_FLAG(int, max_messages_per_recipient_per_day, 50,
          "Messages one address may be sent in 24 hours, a guard against a "
          "loop; more are recorded FAILED (technical-failure) unsent. 0: no "
          "limit.");
ABSL_FLAG(std::string, feedback_form_url, "",
          "Where attendees give feedback; empty: <public_base_url>/feedback.");

namespace training::notification {
namespace {

absl::StatusOr<ScheduleOptions> ScheduleOptionsFromFlags() {
  ScheduleOptions schedule{
      .reminder_offsets = {},
      .joining_lead = absl::GetFlag(FLAGS_joining_lead),
      .after_session_delay = absl::GetFlag(FLAGS_after_session_delay)};
  const std::vector<std::string> offsets =
      absl::GetFlag(FLAGS_reminder_offsets);
  for (const std::string& text : offsets) {
    absl::Duration offset;
    if (text.empty()) continue;
    if (!absl::ParseDuration(text, &offset) || offset <= absl::ZeroDuration() ||
        offset > absl::Hours(24 * 366)) {
      return absl::InvalidArgumentError(
          "--reminder_offsets: each must be a duration such as 48h, above 0 "
          "and at most a year");
    }
    schedule.reminder_offsets.push_back(offset);
  }
  if (schedule.joining_lead <= absl::ZeroDuration() ||
      schedule.after_session_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--joining_lead must be above 0 and --after_session_delay not "
        "negative");
  }
  return schedule;
}

absl::StatusOr<SmtpOptions> SmtpOptionsFromFlags() {
  SmtpOptions smtp{.host = absl::GetFlag(FLAGS_smtp_host),
                   .port = absl::GetFlag(FLAGS_smtp_port),
                   .user = absl::GetFlag(FLAGS_smtp_user),
                   .timeout = absl::GetFlag(FLAGS_smtp_timeout),
                   .ca_file = runtime::ClientTlsFilesFromFlags().ca_file};
  const std::string tls = absl::GetFlag(FLAGS_smtp_tls);
  if (tls == "none") {
    smtp.tls = SmtpOptions::Tls::kNone;
  } else if (tls == "starttls") {
    smtp.tls = SmtpOptions::Tls::kStartTls;
  } else if (tls == "implicit") {
    smtp.tls = SmtpOptions::Tls::kImplicit;
  } else {
    return absl::InvalidArgumentError(
        "--smtp_tls: must be none, starttls or implicit");
  }
  if (smtp.port < 1 || smtp.port > 65535) {
    return absl::InvalidArgumentError("--smtp_port: must be 1 to 65535");
  }
  const std::string password_file = absl::GetFlag(FLAGS_smtp_password_file);
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    if (!in || !std::getline(in, smtp.password)) {
      return absl::InvalidArgumentError("--smtp_password_file: cannot be read");
    }
    smtp.password =
        std::string(absl::StripTrailingAsciiWhitespace(smtp.password));
  }
  return smtp;
}

std::string ProcessName() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, "-", getpid());
}

// One consumer per stream, each keeping facts in its transaction.
std::shared_ptr<events::StreamConsumer> FactConsumer(
    sql::Database* db, redis::RedisClient* redis, const std::string& stream) {
  return std::make_shared<events::StreamConsumer>(
      db, redis,
      events::ConsumerOptions{
          .stream = stream, .group = "notification", .consumer = ProcessName()},
      [](sql::Transaction& tx, const training::events::v1::Event& event) {
        return NotificationStore::AddFact(tx, event);
      });
}

absl::Status RegisterNotification(runtime::ServerRunner& runner) {
  const runtime::ServerOptions& options = runner.options();
  RETURN_IF_ERROR(runtime::PrepareDatabaseDir(options));
  ASSIGN_OR_RETURN(SmtpOptions smtp, SmtpOptionsFromFlags());
  const SenderConfig sender{
      .team_name = absl::GetFlag(FLAGS_mail_from_name),
      .team_email = absl::GetFlag(FLAGS_mail_from),
      .mail_domain = absl::GetFlag(FLAGS_mail_domain),
      .public_base_url = absl::GetFlag(FLAGS_public_base_url)};
  log::Info(
      "config.notification",
      {{"booking_address", log::Id(absl::GetFlag(FLAGS_booking_address))},
       {"catalogue_address", log::Id(absl::GetFlag(FLAGS_catalogue_address))},
       {"smtp_host", log::Id(smtp.host)},
       {"smtp_port", smtp.port},
       {"public_base_url", log::Id(sender.public_base_url)}});
  ASSIGN_OR_RETURN(std::shared_ptr<sql::Database> db,
                   sql::Database::Open(options.database_url));
  ASSIGN_OR_RETURN(std::shared_ptr<redis::RedisClient> redis,
                   redis::RedisClient::Create(options.redis_url));
  ASSIGN_OR_RETURN(std::shared_ptr<auth::HmacKeys> address_keys,
                   runtime::LoadSharedSecrets<auth::HmacKeys>(
                       options, absl::GetFlag(FLAGS_address_hash_secrets),
                       "--address_hash_secrets (TRAINING_ADDRESS_HASH_SECRETS)",
                       "address_hash_secrets", &auth::HmacKeys::Parse));
  ASSIGN_OR_RETURN(ScheduleOptions schedule, ScheduleOptionsFromFlags());
  ASSIGN_OR_RETURN(std::shared_ptr<NotificationStore> store,
                   NotificationStore::Open(db.get(), address_keys.get()));
  RETURN_IF_ERROR(store->SeedDefaultTemplates(absl::Now()));
  ASSIGN_OR_RETURN(
      std::shared_ptr<grpc::ChannelCredentials> credentials,
      runtime::ChannelCredentials(runtime::ClientTlsFilesFromFlags()));
  auto directory = std::make_shared<GrpcDirectory>(
      runtime::NewServiceChannel(absl::GetFlag(FLAGS_booking_address),
                                 credentials),
      runtime::NewServiceChannel(absl::GetFlag(FLAGS_catalogue_address),
                                 credentials),
      options.service_key, absl::GetFlag(FLAGS_lookup_timeout));
  auto relay = std::make_shared<SmtpRelay>(smtp);
  const std::string owner = ProcessName();
  auto composer = std::make_shared<Composer>(
      store.get(), directory.get(), Clock::Real(),
      ComposerOptions{.sender = sender,
                      .max_fact_age = absl::GetFlag(FLAGS_max_fact_age),
                      .owner = owner,
                      .schedule = schedule});
  auto scheduler = std::make_shared<Scheduler>(
      store.get(), directory.get(), Clock::Real(), address_keys.get(),
      SchedulerOptions{
          .sender = sender,
          .owner = owner,
          .feedback_form_url = absl::GetFlag(FLAGS_feedback_form_url)});
  auto worker = std::make_shared<DeliveryWorker>(
      store.get(), relay.get(), Clock::Real(),
      DeliveryOptions{.from_address = sender.team_email,
                      .max_attempts = absl::GetFlag(FLAGS_max_attempts),
                      .retry_base = absl::GetFlag(FLAGS_retry_base),
                      .retry_cap = absl::GetFlag(FLAGS_retry_cap),
                      .lease = absl::GetFlag(FLAGS_send_lease),
                      .max_rate = absl::GetFlag(FLAGS_max_send_rate),
                      .senders = absl::GetFlag(FLAGS_senders),
                      .owner = owner,
                      .max_per_recipient_per_day = absl::GetFlag(
                          FLAGS_max_messages_per_recipient_per_day)});
  if (absl::GetFlag(FLAGS_max_attempts) < 1 ||
      absl::GetFlag(FLAGS_senders) < 1) {
    return absl::InvalidArgumentError(
        "--max_attempts and --senders: must be at least 1");
  }
  if (absl::GetFlag(FLAGS_send_lease) <= smtp.timeout) {
    return absl::InvalidArgumentError(
        "--send_lease: must be longer than --smtp_timeout");
  }
  auto booking_events =
      FactConsumer(db.get(), redis.get(), "training.events.booking");
  auto catalogue_events =
      FactConsumer(db.get(), redis.get(), "training.events.catalogue");
  auto templates =
      std::make_shared<Templates>(store.get(), Clock::Real(), sender);
  auto delivery_log = std::make_shared<DeliveryLog>(store.get(), Clock::Real());
  auto recipients = std::make_shared<Recipients>(
      store.get(), address_keys.get(), Clock::Real());
  auto enquiries = std::make_shared<Enquiries>(
      store.get(), directory.get(), Clock::Real(),
      EnquiryOptions{.sender = sender,
                     .team_address = absl::GetFlag(FLAGS_team_address),
                     .per_address_per_hour =
                         absl::GetFlag(FLAGS_enquiries_per_address_per_hour)});
  auto download = std::make_shared<CalendarDownload>(
      store.get(), directory.get(), Clock::Real(), sender);
  metrics::DefaultRegistry().Gauge(
      "training_notification_facts_pending", "Facts kept and not yet composed.",
      [s = store] {
        absl::StatusOr<int64_t> n = s->PendingFacts();
        return n.ok() ? static_cast<double>(*n) : -1.0;
      });
  booking_events->Start();
  catalogue_events->Start();
  composer->Start();
  scheduler->Start();
  worker->Start();
  // Released newest first: the threads stop before what they use.
  for (std::shared_ptr<void> kept :
       std::initializer_list<std::shared_ptr<void>>{
           db, redis, address_keys, store, directory, relay, templates,
           delivery_log, download, recipients, enquiries, composer, scheduler,
           worker, booking_events, catalogue_events}) {
    runner.Keep(std::move(kept));
  }
  RETURN_IF_ERROR(webhooks::RegisterWebhooks(runner, db, redis, owner));
  runtime::DispatchedService service =
      runtime::MakeService<v1::NotificationService>(runner.runtime());
  RegisterNotificationHandlers(*service.dispatcher, templates.get(),
                               delivery_log.get(), download.get(),
                               recipients.get(), enquiries.get());
  runner.AddService(std::move(service));
  return absl::OkStatus();
}

}  // namespace
}  // namespace training::notification

int main(int argc, char** argv) {
  return training::runtime::ServiceMain(
      argc, argv, {"notification", 7053, 9103},
      training::notification::RegisterNotification);
}

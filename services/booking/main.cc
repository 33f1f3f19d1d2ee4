// training_booking: the booking service. Its database is --database_url;
// Redis (--redis_url) carries its events out, catalogue events in, and the
// availability cache, none of which a booking waits for. Sessions it has
// not heard of yet are asked of the catalogue (--catalogue_address).

#include <memory>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/events/consumer.h"
#include "common/events/outbox.h"
#include "common/events/retention_flags.h"
#include "common/logging/log.h"
#include "common/metrics/metrics.h"
#include "common/redis/redis_client.h"
#include "common/runtime/server_runner.h"
#include "common/runtime/service_channel.h"
#include "common/runtime/shared_secrets.h"
#include "common/runtime/tls.h"
#include "common/sql/database.h"
#include "common/status_macros.h"
#include "services/booking/bookings.h"
#include "services/booking/catalogue_directory.h"
#include "services/booking/handler.h"
#include "services/booking/maintenance.h"
#include "services/booking/redis_availability_cache.h"
#include "services/booking/store_sql.h"
#include "training/booking/v1/booking_service.grpc.pb.h"

ABSL_FLAG(std::string, catalogue_address, "127.0.0.1:7051",
          "The catalogue's gRPC address, for sessions not heard of yet.");
ABSL_FLAG(absl::Duration, catalogue_timeout, absl::Seconds(2),
          "Deadline of each call to the catalogue (the caller's own "
          "deadline when that comes first).");
ABSL_FLAG(std::string, manage_token_secrets, "",
          "Secrets manage tokens are derived with: kid:base64url,… (the "
          "first is current; older ones are still accepted). Every replica "
          "needs the same list. When empty, a secret is made once and kept "
          "in <data_dir>/booking_token_secrets (local runs only).");
ABSL_FLAG(std::string, address_hash_secrets, "",
          "Secrets the keyed hash of an erased address (in PersonalDataErased "
          "events) is made with: kid:base64url,… (the first is current). "
          "Every booking replica needs the same list, and so will every "
          "service that matches the hashes (notification). When empty, a "
          "secret is made once and kept in <data_dir>/address_hash_secrets "
          "(local runs only).");
ABSL_FLAG(absl::Duration, maintenance_interval, absl::Minutes(10),
          "How often housekeeping runs (forgetting replaced attendees' "
          "contacts once their session has ended, and access needs once "
          "--access_needs_retention has passed).");
ABSL_FLAG(absl::Duration, access_needs_retention, absl::Hours(24 * 7),
          "How long after a session its attendees' access needs are kept.");
ABSL_FLAG(absl::Duration, due_work_interval, absl::Seconds(5),
          "How often offers past their expiry and agency holds past their "
          "release are acted on.");
ABSL_FLAG(int, max_batch_size, 256,
          "Most booking requests for one session decided in one commit.");
ABSL_FLAG(int, max_pending_bookings, 5000,
          "Booking requests that may wait for their batch; beyond it, "
          "RESOURCE_EXHAUSTED with a retry hint.");
ABSL_FLAG(absl::Duration, availability_ttl, absl::Seconds(5),
          "How long a cached availability figure may be served.");

namespace training::booking {
namespace {

// The catalogue, asked about sessions booking has not heard of yet.
absl::StatusOr<std::shared_ptr<CatalogueDirectory>> OpenCatalogueDirectory(
    const runtime::ServerOptions& options) {
  log::Info(
      "config.booking",
      {{"catalogue_address", log::Id(absl::GetFlag(FLAGS_catalogue_address))}});
  ASSIGN_OR_RETURN(
      std::shared_ptr<grpc::ChannelCredentials> catalogue_credentials,
      runtime::ChannelCredentials(runtime::ClientTlsFilesFromFlags()));
  return std::make_shared<CatalogueDirectory>(
      runtime::NewServiceChannel(absl::GetFlag(FLAGS_catalogue_address),
                                 catalogue_credentials),
      options.service_key, absl::GetFlag(FLAGS_catalogue_timeout));
}

// The consumer of the catalogue's events: each applied in the consumer's
// transaction, the cache refreshed once it commits.
std::shared_ptr<events::StreamConsumer> CatalogueConsumer(
    sql::Database* db, redis::RedisClient* redis, Bookings* bookings) {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  // What the event being handled changed (the consumer runs on one thread).
  auto changed = std::make_shared<std::vector<SessionInventory>>();
  return std::make_shared<events::StreamConsumer>(
      db, redis,
      events::ConsumerOptions{.stream = "training.events.catalogue",
                              .group = "booking",
                              .consumer = absl::StrCat(host, "-", getpid())},
      [bookings, changed](sql::Transaction& tx,
                          const training::events::v1::Event& event) {
        changed->clear();  // the transaction may be run again
        auto booking_tx = SqlBookingStore::Wrap(tx);
        return bookings->ApplyCatalogueEvent(*booking_tx, event, *changed);
      },
      [bookings, changed](const training::events::v1::Event&) {
        bookings->AfterCatalogueEvent(*changed);
      });
}

absl::Status RegisterBooking(runtime::ServerRunner& runner) {
  const runtime::ServerOptions& options = runner.options();
  RETURN_IF_ERROR(runtime::PrepareDatabaseDir(options));
  ASSIGN_OR_RETURN(std::shared_ptr<ManageTokens> shared_tokens,
                   runtime::LoadSharedSecrets<ManageTokens>(
                       options, absl::GetFlag(FLAGS_manage_token_secrets),
                       "--manage_token_secrets (TRAINING_MANAGE_TOKEN_SECRETS)",
                       "booking_token_secrets", &ManageTokens::Parse));
  ASSIGN_OR_RETURN(std::shared_ptr<auth::HmacKeys> shared_address_keys,
                   runtime::LoadSharedSecrets<auth::HmacKeys>(
                       options, absl::GetFlag(FLAGS_address_hash_secrets),
                       "--address_hash_secrets (TRAINING_ADDRESS_HASH_SECRETS)",
                       "address_hash_secrets", &auth::HmacKeys::Parse));
  ASSIGN_OR_RETURN(std::shared_ptr<sql::Database> db,
                   sql::Database::Open(options.database_url));
  ASSIGN_OR_RETURN(std::shared_ptr<redis::RedisClient> redis,
                   redis::RedisClient::Create(options.redis_url));
  ASSIGN_OR_RETURN(std::shared_ptr<SqlBookingStore> store,
                   SqlBookingStore::Open(db.get()));
  auto cache = std::make_shared<RedisAvailabilityCache>(
      redis.get(), absl::GetFlag(FLAGS_availability_ttl));
  // Listings are answered from this replica's copy, kept fresh from the
  // cache's change stream.
  cache->StartCopy();
  ASSIGN_OR_RETURN(std::shared_ptr<CatalogueDirectory> directory,
                   OpenCatalogueDirectory(options));
  const batching::GroupCommitOptions group_commit{
      .max_batch = absl::GetFlag(FLAGS_max_batch_size),
      .max_pending = absl::GetFlag(FLAGS_max_pending_bookings)};
  if (group_commit.max_batch < 1 || group_commit.max_pending < 1) {
    return absl::InvalidArgumentError(
        "--max_batch_size and --max_pending_bookings: must be at least 1");
  }
  runtime::WorkerPool* pool = runner.runtime().pool;
  auto bookings = std::make_shared<Bookings>(
      store.get(), Clock::Real(),
      BookingKeys{shared_tokens.get(), shared_address_keys.get()},
      directory.get(), cache.get(), group_commit,
      [pool](std::function<void()> work) {
        // A full (or stopping) pool refuses: the caller is told to retry,
        // and blocking work never runs on gRPC's own threads.
        return pool->TrySubmit(std::move(work));
      });
  metrics::DefaultRegistry().Gauge(
      "training_booking_pending", "Booking requests waiting for their batch.",
      [b = bookings] { return static_cast<double>(b->PendingBookings()); });
  ASSIGN_OR_RETURN(events::RetentionOptions retention,
                   events::RetentionOptionsFromFlags());
  auto relay = std::make_shared<events::OutboxRelay>(db.get(), redis.get());
  auto housekeeping = std::make_shared<events::EventHousekeeping>(
      db.get(), redis.get(), std::vector<std::string>{kBookingStream},
      retention, Clock::Real());
  std::shared_ptr<events::StreamConsumer> consumer =
      CatalogueConsumer(db.get(), redis.get(), bookings.get());
  auto records =
      std::make_shared<Records>(store.get(), Clock::Real(), &bookings->views());
  auto lookups =
      std::make_shared<InternalLookups>(store.get(), &bookings->views());
  if (absl::GetFlag(FLAGS_access_needs_retention) < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--access_needs_retention: must not be negative");
  }
  auto maintenance = std::make_shared<Maintenance>(
      bookings.get(), absl::GetFlag(FLAGS_maintenance_interval),
      absl::GetFlag(FLAGS_access_needs_retention),
      absl::GetFlag(FLAGS_due_work_interval));
  relay->Start();
  consumer->Start();
  housekeeping->Start();
  // Released newest first: consumer and relay stop before what they use.
  for (std::shared_ptr<void> kept :
       std::initializer_list<std::shared_ptr<void>>{
           shared_tokens, shared_address_keys, db, redis, store, cache,
           directory, bookings, records, lookups, relay, consumer, housekeeping,
           maintenance}) {
    runner.Keep(std::move(kept));
  }

  runtime::DispatchedService service =
      runtime::MakeService<v1::BookingService>(runner.runtime());
  RegisterBookingHandlers(*service.dispatcher, bookings.get(), records.get(),
                          lookups.get());
  runner.AddService(std::move(service));
  return absl::OkStatus();
}

}  // namespace
}  // namespace training::booking

int main(int argc, char** argv) {
  return training::runtime::ServiceMain(argc, argv,
                                        {.service_name = "booking",
                                         .default_port = 7052,
                                         .default_metrics_port = 9102,
                                         .default_worker_threads = 128},
                                        training::booking::RegisterBooking);
}

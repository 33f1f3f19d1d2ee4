// training_content: the content service (articles, their revisions,
// search). Its database is --database_url; its events reach Redis Streams
// (--redis_url) through the outbox relay. Restricted articles are checked
// with the booking service (--booking_address); public reading never needs
// booking or Redis.

#include <algorithm>
#include <memory>

#include "absl/flags/flag.h"
#include "common/events/outbox.h"
#include "common/events/retention_flags.h"
#include "common/logging/log.h"
#include "common/redis/redis_client.h"
#include "common/runtime/server_runner.h"
#include "common/runtime/service_channel.h"
#include "common/runtime/tls.h"
#include "common/sql/database.h"
#include "common/status_macros.h"
#include "grpcpp/create_channel.h"
#include "services/content/article_editor.h"
#include "services/content/article_reader.h"
#include "services/content/booking_access.h"
#include "services/content/handler.h"
#include "services/content/store_sql.h"
#include "training/content/v1/content_service.grpc.pb.h"

ABSL_FLAG(std::string, booking_address, "127.0.0.1:7052",
          "The booking service, asked who may read restricted articles.");
ABSL_FLAG(absl::Duration, booking_timeout, absl::Seconds(2),
          "Deadline of each question to the booking service.");
ABSL_FLAG(absl::Duration, booking_access_cache_ttl, absl::Seconds(10),
          "How long booking's answer about a manage token is kept; 0 keeps "
          "none. A cancellation or substitution reaches content within it.");
ABSL_FLAG(absl::Duration, article_cache_ttl, absl::Minutes(10),
          "Longest an article is served from this process's memory; 0 "
          "keeps none.");
ABSL_FLAG(int, article_cache_entries, 10000, "Most articles held in memory.");
ABSL_FLAG(absl::Duration, article_change_poll, absl::Milliseconds(200),
          "With a database other replicas write (PostgreSQL): how often "
          "this process asks which articles changed, so that its cache "
          "follows within about this long.");

namespace training::content {
namespace {

absl::Status RegisterContent(runtime::ServerRunner& runner) {
  const runtime::ServerOptions& options = runner.options();
  RETURN_IF_ERROR(runtime::PrepareDatabaseDir(options));
  log::Info(
      "config.content",
      {{"booking_address", log::Id(absl::GetFlag(FLAGS_booking_address))}});
  ASSIGN_OR_RETURN(std::shared_ptr<sql::Database> db,
                   sql::Database::Open(options.database_url));
  ASSIGN_OR_RETURN(std::shared_ptr<redis::RedisClient> redis,
                   redis::RedisClient::Create(options.redis_url));
  ASSIGN_OR_RETURN(std::shared_ptr<SqlContentStore> store,
                   SqlContentStore::Open(db.get()));
  ASSIGN_OR_RETURN(
      std::shared_ptr<grpc::ChannelCredentials> credentials,
      runtime::ChannelCredentials(runtime::ClientTlsFilesFromFlags()));
  auto booking_access = std::make_shared<GrpcBookingAccess>(
      runtime::NewServiceChannel(absl::GetFlag(FLAGS_booking_address),
                                 credentials),
      GrpcBookingAccess::Options{
          .service_key = options.service_key,
          .timeout = absl::GetFlag(FLAGS_booking_timeout),
          .cache_ttl = absl::GetFlag(FLAGS_booking_access_cache_ttl)},
      Clock::Real());
  if (absl::GetFlag(FLAGS_article_cache_entries) < 0) {
    return absl::InvalidArgumentError(
        "--article_cache_entries: must be 0 or more");
  }
  const absl::Duration poll = absl::GetFlag(FLAGS_article_change_poll);
  if (poll <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--article_change_poll: must be > 0");
  }
  // One process owning the database (SQLite) sees every change itself.
  const bool shared_database = !db->HasSingleWriter();
  auto cache = std::make_shared<ArticleCache>(
      Clock::Real(),
      ArticleCache::Options{
          .ttl = absl::GetFlag(FLAGS_article_cache_ttl),
          .max_entries =
              static_cast<size_t>(absl::GetFlag(FLAGS_article_cache_entries)),
          .stale_after = shared_database ? std::max(10 * poll, absl::Seconds(2))
                                         : absl::InfiniteDuration()});
  auto watcher = std::make_shared<ArticleChangeWatcher>(
      store.get(), cache.get(), Clock::Real(), poll);
  if (shared_database) watcher->Start();
  auto editor =
      std::make_shared<ArticleEditor>(store.get(), Clock::Real(), cache.get());
  auto reader = std::make_shared<ArticleReader>(
      store.get(), booking_access.get(), cache.get());
  ASSIGN_OR_RETURN(events::RetentionOptions retention,
                   events::RetentionOptionsFromFlags());
  auto relay = std::make_shared<events::OutboxRelay>(db.get(), redis.get());
  auto housekeeping = std::make_shared<events::EventHousekeeping>(
      db.get(), redis.get(), std::vector<std::string>{kContentStream},
      retention, Clock::Real());
  relay->Start();
  housekeeping->Start();
  // Released newest first: the relay stops before Redis and the database.
  for (std::shared_ptr<void> kept :
       std::initializer_list<std::shared_ptr<void>>{
           db, redis, store, booking_access, cache, watcher, editor, reader,
           relay, housekeeping}) {
    runner.Keep(std::move(kept));
  }
  runtime::DispatchedService service =
      runtime::MakeService<v1::ContentService>(runner.runtime());
  RegisterContentHandlers(*service.dispatcher, editor.get(), reader.get(),
                          runner.runtime().pool);
  runner.AddService(std::move(service));
  return absl::OkStatus();
}

}  // namespace
}  // namespace training::content

int main(int argc, char** argv) {
  return training::runtime::ServiceMain(argc, argv, {"content", 7054, 9104},
                                        training::content::RegisterContent);
}

// training_catalogue: the catalogue service (courses, sessions, trainers,
// venues). Its database is --database_url; its events reach Redis Streams
// (--redis_url) through the outbox relay, which keeps retrying while Redis
// is down, so the catalogue itself never needs Redis to answer.

#include <memory>

#include "common/events/outbox.h"
#include "common/events/retention_flags.h"
#include "common/redis/redis_client.h"
#include "common/runtime/server_runner.h"
#include "common/sql/database.h"
#include "common/status_macros.h"
#include "services/catalogue/catalogue.h"
#include "services/catalogue/handler.h"
#include "services/catalogue/store_sql.h"
#include "training/catalogue/v1/catalogue_service.grpc.pb.h"

namespace training::catalogue {
namespace {

absl::Status RegisterCatalogue(runtime::ServerRunner& runner) {
  const runtime::ServerOptions& options = runner.options();
  RETURN_IF_ERROR(runtime::PrepareDatabaseDir(options));
  ASSIGN_OR_RETURN(std::shared_ptr<sql::Database> db,
                   sql::Database::Open(options.database_url));
  ASSIGN_OR_RETURN(std::shared_ptr<redis::RedisClient> redis,
                   redis::RedisClient::Create(options.redis_url));
  ASSIGN_OR_RETURN(std::shared_ptr<SqlCatalogueStore> store,
                   SqlCatalogueStore::Open(db.get()));
  auto catalogue = std::make_shared<Catalogue>(store.get(), Clock::Real());
  ASSIGN_OR_RETURN(events::RetentionOptions retention,
                   events::RetentionOptionsFromFlags());
  auto relay = std::make_shared<events::OutboxRelay>(db.get(), redis.get());
  auto housekeeping = std::make_shared<events::EventHousekeeping>(
      db.get(), redis.get(), std::vector<std::string>{kCatalogueStream},
      retention, Clock::Real());
  relay->Start();
  housekeeping->Start();
  // Released newest first: the relay stops before Redis and the database.
  runner.Keep(db);
  runner.Keep(redis);
  runner.Keep(store);
  runner.Keep(catalogue);
  runner.Keep(relay);
  runner.Keep(housekeeping);

  runtime::DispatchedService service =
      runtime::MakeService<v1::CatalogueService>(runner.runtime());
  RegisterCatalogueHandlers(*service.dispatcher, catalogue.get());
  runner.AddService(std::move(service));
  return absl::OkStatus();
}

}  // namespace
}  // namespace training::catalogue

int main(int argc, char** argv) {
  return training::runtime::ServiceMain(argc, argv, {"catalogue", 7051, 9101},
                                        training::catalogue::RegisterCatalogue);
}

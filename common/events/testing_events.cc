#include "common/events/testing_events.h"

namespace training::events::testing {

std::vector<sql::Migration> EffectMigrations() {
  const char* ddl =
      "CREATE TABLE effects (event_id TEXT PRIMARY KEY, n BIGINT NOT NULL)";
  return {{1, "effects", {ddl, ddl}}};
}

EventHandler CountEffect(const bool* fail) {
  return [fail](sql::Transaction& tx,
                const training::events::v1::Event& event) -> absl::Status {
    if (fail != nullptr && *fail && event.type() == "fail") {
      return absl::FailedPreconditionError("refused by the test handler");
    }
    return tx
        .Execute(
            "INSERT INTO effects (event_id, n) VALUES ($1, 1) ON CONFLICT "
            "(event_id) DO UPDATE SET n = effects.n + 1",
            {event.id()})
        .status();
  };
}

}  // namespace training::events::testing

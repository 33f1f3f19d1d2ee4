#ifndef TRAINING_COMMON_SQL_POOL_METRICS_H_
#define TRAINING_COMMON_SQL_POOL_METRICS_H_

// What both engines report, each family defined once here: connection
// waits and timeouts (for the alert on a pool that runs out of
// connections, deploy/monitoring) and statement latency.

#include "absl/time/time.h"
#include "common/sql/database.h"

namespace training::sql {

// Counts a caller that found no connection free in time:
// training_sql_acquire_timeouts_total{engine}, from zero for both engines.
void RecordAcquireTimeout(Engine engine);

// training_sql_acquire_seconds{engine}: how long a caller waited for a
// connection that it got.
void RecordAcquireWait(Engine engine, absl::Duration waited);

// training_sql_query_seconds{engine}: one statement's (or pipeline's)
// time.
void RecordQuery(Engine engine, absl::Duration took);

}  // namespace training::sql

#endif  // TRAINING_COMMON_SQL_POOL_METRICS_H_

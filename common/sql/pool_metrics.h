#ifndef TRAINING_COMMON_SQL_POOL_METRICS_H_
#define TRAINING_COMMON_SQL_POOL_METRICS_H_

// What both engines' connection pools report, for the alert on a pool
// that runs out of connections (deploy/monitoring).

#include "common/sql/database.h"

namespace training::sql {

// Counts a caller that found no connection free in time:
// training_sql_acquire_timeouts_total{engine}, from zero for both engines.
void RecordAcquireTimeout(Engine engine);

}  // namespace training::sql

#endif  // TRAINING_COMMON_SQL_POOL_METRICS_H_

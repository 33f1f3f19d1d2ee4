#ifndef TRAINING_COMMON_SQL_TESTING_ENGINES_H_
#define TRAINING_COMMON_SQL_TESTING_ENGINES_H_

// Store tests run on both engines (STYLE.md). One line instantiates a
// suite on both, named by engine (BothEngines/FooTest.Case/sqlite):
//
//   TRAINING_ON_BOTH_ENGINES(FooTest);

#include <string>

#include "common/sql/testing/test_databases.h"
#include "gtest/gtest.h"

namespace training::sql::testing {

inline auto BothEngines() {
  return ::testing::Values(Engine::kSqlite, Engine::kPostgres);
}

// For what only PostgreSQL does (several writers at once).
inline auto PostgresOnly() { return ::testing::Values(Engine::kPostgres); }

struct EngineParamName {
  std::string operator()(const ::testing::TestParamInfo<Engine>& info) const {
    return EngineName(info.param);
  }
};

}  // namespace training::sql::testing

// Runs every TEST_P of `suite` (parameterised by sql::Engine) on SQLite and
// on PostgreSQL.
#define TRAINING_ON_BOTH_ENGINES(suite)                             \
  INSTANTIATE_TEST_SUITE_P(BothEngines, suite,                      \
                           ::training::sql::testing::BothEngines(), \
                           ::training::sql::testing::EngineParamName())

#endif  // TRAINING_COMMON_SQL_TESTING_ENGINES_H_

#ifndef TRAINING_COMMON_SQL_TESTING_POSTGRES_SERVER_H_
#define TRAINING_COMMON_SQL_TESTING_POSTGRES_SERVER_H_

// A PostgreSQL server of one test's own, for what the shared test server
// must not suffer: freezing every process of it (SIGSTOP, as a hung host
// or a stalled disk would), then thawing it. A fresh cluster (initdb) in a
// temporary directory, on a free port; as root it runs as the `postgres`
// user, since initdb and postgres refuse root. Removed when destroyed.

#include <memory>
#include <string>

#include "common/testing/process.h"

namespace training::sql::testing {

class PostgresServer {
 public:
  PostgresServer();
  // Thaws, stops and removes the cluster.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Creates the cluster (first time), starts the server and waits until it
  // accepts connections. False when it did not; the log says why.
  bool Start();
  void Stop();
  // SIGSTOP / SIGCONT to the server and every process it forked.
  void Freeze();
  void Thaw();

  // postgresql://postgres@127.0.0.1:<port>/postgres
  std::string url() const;
  std::string Log() const;

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<training::testing::ChildProcess> server_;
  bool frozen_ = false;
};

}  // namespace training::sql::testing

#endif  // TRAINING_COMMON_SQL_TESTING_POSTGRES_SERVER_H_

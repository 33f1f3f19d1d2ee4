#include "common/sql/postgres_wire.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "absl/time/clock.h"

namespace training::sql::postgres {
namespace {

absl::Status Lost() {
  return absl::UnavailableError("postgres: connection lost");
}

// Waits until the connection's socket is ready for `events` (POLLIN,
// POLLOUT), or the deadline passes.
absl::Status WaitForSocket(PGconn* conn, short events, absl::Time deadline) {
  const int fd = PQsocket(conn);
  if (fd < 0) return Lost();
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          "postgres: no answer before the deadline");
    }
    // poll takes whole milliseconds: round up, so as never to spin.
    const int timeout_ms = left >= absl::Milliseconds(INT_MAX)
                               ? INT_MAX
                               : static_cast<int>(absl::ToInt64Milliseconds(
                                     absl::Ceil(left, absl::Milliseconds(1))));
    pollfd ready{fd, events, 0};
    const int rc = poll(&ready, 1, timeout_ms);
    if (rc > 0) return absl::OkStatus();
    if (rc < 0 && errno != EINTR) return Lost();
  }
}

}  // namespace

absl::StatusOr<PGconn*> OpenConnection(const std::string& conninfo,
                                       absl::Time deadline) {
  PGconn* conn = PQconnectStart(conninfo.c_str());
  if (conn == nullptr) return absl::UnavailableError("postgres: out of memory");
  // libpq's message can carry the host and user, never row data; none of
  // it is passed on.
  auto failed = [conn](absl::Status status) {
    PQfinish(conn);
    return status;
  };
  if (PQstatus(conn) == CONNECTION_BAD) {
    return failed(absl::UnavailableError("postgres: cannot connect"));
  }
  // As libpq's documentation says: wait for writing first, then as
  // PQconnectPoll asks, until it reports OK or FAILED.
  PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
  while (polling != PGRES_POLLING_OK) {
    if (polling == PGRES_POLLING_FAILED) {
      return failed(absl::UnavailableError("postgres: cannot connect"));
    }
    absl::Status ready = WaitForSocket(
        conn, polling == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
    if (!ready.ok()) {
      return failed(absl::IsDeadlineExceeded(ready)
                        ? absl::DeadlineExceededError(
                              "postgres: cannot connect before the deadline")
                        : absl::UnavailableError("postgres: cannot connect"));
    }
    polling = PQconnectPoll(conn);
  }
  if (PQsetnonblocking(conn, 1) != 0) {
    return failed(absl::UnavailableError("postgres: cannot configure"));
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return conn;
}

absl::Status Flush(PGconn* conn, absl::Time deadline) {
  while (true) {
    const int rc = PQflush(conn);
    if (rc == 0) return absl::OkStatus();
    if (rc < 0) return Lost();
    // The server may be sending while we send (a pipeline's results):
    // read what it sent, or both sides could wait on full buffers.
    absl::Status ready = WaitForSocket(conn, POLLOUT | POLLIN, deadline);
    if (!ready.ok()) return ready;
    if (PQconsumeInput(conn) == 0) return Lost();
  }
}

absl::StatusOr<ResultPtr> NextResult(PGconn* conn, absl::Time deadline) {
  while (PQisBusy(conn)) {
    absl::Status ready = WaitForSocket(conn, POLLIN, deadline);
    if (!ready.ok()) return ready;
    if (PQconsumeInput(conn) == 0) return Lost();
  }
  return ResultPtr(PQgetResult(conn), PQclear);
}

absl::Status PutCopyData(PGconn* conn, absl::string_view data,
                         absl::Time deadline) {
  // libpq takes at most INT_MAX bytes a call.
  constexpr size_t kChunk = size_t{1} << 20;
  for (size_t at = 0; at < data.size();) {
    const size_t n = std::min(kChunk, data.size() - at);
    const int rc = PQputCopyData(conn, data.data() + at, static_cast<int>(n));
    if (rc < 0) return Lost();
    if (rc == 0) {  // no room in libpq's buffer yet
      absl::Status ready = WaitForSocket(conn, POLLOUT | POLLIN, deadline);
      if (!ready.ok()) return ready;
      if (PQconsumeInput(conn) == 0) return Lost();
      continue;
    }
    at += n;
  }
  return absl::OkStatus();
}

absl::Status PutCopyEnd(PGconn* conn, absl::Time deadline) {
  while (true) {
    const int rc = PQputCopyEnd(conn, nullptr);
    if (rc < 0) return Lost();
    if (rc == 1) return Flush(conn, deadline);
    absl::Status ready = WaitForSocket(conn, POLLOUT | POLLIN, deadline);
    if (!ready.ok()) return ready;
    if (PQconsumeInput(conn) == 0) return Lost();
  }
}

}  // namespace training::sql::postgres

#ifndef TRAINING_TESTS_RAW_HTTP_H_
#define TRAINING_TESTS_RAW_HTTP_H_

// A TCP connection to the gateway that sends exactly the bytes it is given:
// for requests no well-behaved client library would send (smuggling
// shapes, slow clients, oversized heads).

#include <string>

#include "absl/time/time.h"

namespace training::testing {

class RawConnection {
 public:
  // Connects to 127.0.0.1:`port`; reads give up after `watchdog`.
  explicit RawConnection(int port, absl::Duration watchdog = absl::Seconds(30));
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // False when the peer has closed (or reset) the connection.
  bool Send(const std::string& bytes);
  // Everything until the peer closes (or the watchdog passes).
  std::string ReadUntilClosed();
  // Whether the peer closed the connection within `within` (no bytes
  // waiting, or only those of a final answer).
  bool ClosedWithin(absl::Duration within);

 private:
  int fd_ = -1;
};

// The status code of the first status line in `raw`, 0 when none.
int FirstStatus(const std::string& raw);
// How many HTTP status lines `raw` holds.
int StatusLines(const std::string& raw);

}  // namespace training::testing

#endif  // TRAINING_TESTS_RAW_HTTP_H_

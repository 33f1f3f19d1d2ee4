#ifndef TRAINING_TESTS_HTTP_CLIENT_H_
#define TRAINING_TESTS_HTTP_CLIENT_H_

// A plain HTTP/1.1 client for tests that talk to the real gateway as an
// agency portal would: one request per connection, a watchdog timeout.

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace training::testing {

struct HttpReply {
  int status = 0;  // 0 when no answer came
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case
  std::string body;

  // The first value of a header, "" when absent.
  std::string Header(const std::string& lower_case_name) const;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

HttpReply HttpCall(int port, const std::string& method,
                   const std::string& target, const HttpHeaders& headers = {},
                   const std::string& body = "",
                   absl::Duration watchdog = absl::Seconds(120));

// Percent-encodes a query parameter value.
std::string UrlEncode(const std::string& text);

}  // namespace training::testing

#endif  // TRAINING_TESTS_HTTP_CLIENT_H_

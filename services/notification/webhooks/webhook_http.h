#ifndef TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_HTTP_H_
#define TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_HTTP_H_

// One POST to a subscriber, through libcurl, under target_policy.h's
// rules: curl resolves the host within the attempt's timeout, and every
// address it is about to connect to is checked in its socket callback
// (CURLOPT_OPENSOCKETFUNCTION), so the address checked is the address
// connected to. No redirect is followed, no proxy is used, and at most
// `max_response_bytes` of the answer are read, then dropped unlogged. Not
// thread-safe: one client per sending thread (it keeps its connections open
// between deliveries).

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "services/notification/webhooks/target_policy.h"

typedef void CURL;

namespace training::notification::webhooks {

struct HttpOptions {
  TargetPolicy policy;
  absl::Duration timeout = absl::Seconds(10);
  size_t max_response_bytes = 4096;
  std::string ca_file;  // empty: the system's trust store
};

// What an attempt came to.
struct HttpReply {
  int status = 0;     // 0: no answer
  std::string error;  // empty on a 2xx; never the body
  absl::Duration latency;
  bool ok() const { return status >= 200 && status < 300; }
};

class WebhookHttp {
 public:
  explicit WebhookHttp(HttpOptions options);
  ~WebhookHttp();
  WebhookHttp(const WebhookHttp&) = delete;
  WebhookHttp& operator=(const WebhookHttp&) = delete;

  HttpReply Post(
      const std::string& url,
      const std::vector<std::pair<std::string, std::string>>& headers,
      const std::string& body);

 private:
  const HttpOptions options_;
  CURL* curl_;
};

}  // namespace training::notification::webhooks

#endif  // TRAINING_SERVICES_NOTIFICATION_WEBHOOKS_WEBHOOK_HTTP_H_

#include "services/notification/webhooks/webhook_http.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace training::notification::webhooks {
namespace {

struct Sink {
  size_t limit;
  size_t seen = 0;
};

// Counts the answer and drops it; stops the transfer past the limit.
size_t Discard(char*, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  sink->seen += size * count;
  return sink->seen > sink->limit ? 0 : size * count;
}

// What the socket callback saw.
struct Opening {
  const TargetPolicy* policy;
  std::string refused;  // why the last address was refused
};

// curl asks for each socket it would connect, with the address it resolved
// (with its own timeouts) and is about to use: the one place where the
// address checked is the address connected to, whatever the name, its
// punycode form or a second look-up said.
curl_socket_t OpenChecked(void* user, curlsocktype purpose,
                          curl_sockaddr* address) {
  auto* opening = static_cast<Opening*>(user);
  std::string bytes;
  if (purpose == CURLSOCKTYPE_IPCXN && address->family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address->addr);
    bytes.assign(reinterpret_cast<const char*>(&in->sin_addr), 4);
  } else if (purpose == CURLSOCKTYPE_IPCXN && address->family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address->addr);
    bytes.assign(reinterpret_cast<const char*>(&in6->sin6_addr), 16);
  } else {
    opening->refused = "not an IP connection";
    return CURL_SOCKET_BAD;
  }
  if (std::optional<std::string> why = RefusalOf(bytes, *opening->policy)) {
    opening->refused = *why;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

}  // namespace

WebhookHttp::WebhookHttp(HttpOptions options)
    : options_(std::move(options)), curl_(curl_easy_init()) {}

WebhookHttp::~WebhookHttp() {
  if (curl_ != nullptr) curl_easy_cleanup(curl_);
}

HttpReply WebhookHttp::Post(
    const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& body) {
  const absl::Time start = absl::Now();
  HttpReply reply;
  auto finish = [&](std::string error) {
    reply.error = std::move(error);
    reply.latency = absl::Now() - start;
    return reply;
  };
  if (curl_ == nullptr) return finish("no HTTP client");
  absl::StatusOr<TargetUrl> target = ParseTargetUrl(url, options_.policy);
  if (!target.ok()) {
    return finish(absl::StrCat("target refused: ", target.status().message()));
  }
  curl_slist* list = nullptr;
  for (const auto& [name, value] : headers) {
    list = curl_slist_append(list, absl::StrCat(name, ": ", value).c_str());
  }
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(
      list, &curl_slist_free_all);
  Sink sink{options_.max_response_bytes};
  Opening opening{&options_.policy, ""};
  curl_easy_reset(curl_);
  curl_easy_setopt(curl_, CURLOPT_URL, target->url.c_str());
  curl_easy_setopt(curl_, CURLOPT_OPENSOCKETFUNCTION, &OpenChecked);
  curl_easy_setopt(curl_, CURLOPT_OPENSOCKETDATA, &opening);
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl_, CURLOPT_PROXY, "");
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  // One limit for everything, the name's look-up included.
  curl_easy_setopt(
      curl_, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl_, CURLOPT_USERAGENT, "training-webhooks/1");
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Discard);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &sink);
  if (!options_.ca_file.empty()) {
    curl_easy_setopt(curl_, CURLOPT_CAINFO, options_.ca_file.c_str());
  }
  const CURLcode rc = curl_easy_perform(curl_);
  long status = 0;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
  reply.status = static_cast<int>(status);
  if (rc == CURLE_COULDNT_CONNECT && !opening.refused.empty()) {
    return finish(absl::StrCat("address refused: ", opening.refused));
  }
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && status != 0)) {
    return finish(rc == CURLE_OPERATION_TIMEDOUT
                      ? std::string("timeout")
                      : absl::StrCat("no answer: ", curl_easy_strerror(rc)));
  }
  if (reply.ok()) return finish("");
  if (status >= 300 && status < 400) {
    return finish(
        absl::StrCat("HTTP ", status, " (redirects are not followed)"));
  }
  return finish(absl::StrCat("HTTP ", status));
}

}  // namespace training::notification::webhooks

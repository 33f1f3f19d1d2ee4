#include "services/notification/webhooks/webhook_http.h"

#include <curl/curl.h>
#include <netdb.h>
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

// The host's addresses (4 or 16 bytes each), or an error.
std::vector<std::string> Resolve(const std::string& host, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  std::vector<std::string> out;
  if (rc != 0) {
    error = absl::StrCat("host not found: ", gai_strerror(rc));
    return out;
  }
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      out.emplace_back(reinterpret_cast<const char*>(&in->sin_addr), 4);
    } else if (a->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      out.emplace_back(reinterpret_cast<const char*>(&in6->sin6_addr), 16);
    }
  }
  freeaddrinfo(found);
  if (out.empty()) error = "host has no address";
  return out;
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
  std::string error;
  const std::vector<std::string> addresses = Resolve(target->host, error);
  if (addresses.empty()) return finish(error);
  // Every address must pass: a name that also resolves to a private
  // address could be answered with that one on the next look-up.
  for (const std::string& address : addresses) {
    if (std::optional<std::string> why = RefusalOf(address, options_.policy)) {
      return finish(absl::StrCat("address refused: ", *why));
    }
  }
  const std::string pinned =
      addresses[0].size() == 16
          ? absl::StrCat("[", AddressText(addresses[0]), "]")
          : AddressText(addresses[0]);
  const std::string resolve_entry =
      absl::StrCat(target->host, ":", target->port, ":", pinned);
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> resolve(
      curl_slist_append(nullptr, resolve_entry.c_str()), &curl_slist_free_all);
  curl_slist* list = nullptr;
  for (const auto& [name, value] : headers) {
    list = curl_slist_append(list, absl::StrCat(name, ": ", value).c_str());
  }
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(
      list, &curl_slist_free_all);
  Sink sink{options_.max_response_bytes};
  // A new entry for the same host and port replaces the one curl holds
  // from the last delivery, so each delivery goes where it was checked.
  curl_easy_reset(curl_);
  curl_easy_setopt(curl_, CURLOPT_URL, target->url.c_str());
  curl_easy_setopt(curl_, CURLOPT_RESOLVE, resolve.get());
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl_, CURLOPT_PROXY, "");
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
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

#include <curl/curl.h>

#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "services/notification/mail_relay.h"

namespace training::notification {
namespace {

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadMessage(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t room = size * count;
  const size_t left = upload->data->size() - upload->offset;
  const size_t n = std::min(room, left);
  std::memcpy(buffer, upload->data->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool IsTransportError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string WithoutAddresses(const std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t at = text.find('@', i);
    if (at == std::string::npos) {
      out.append(text, i, std::string::npos);
      break;
    }
    auto part = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' ||
             c == '_' || c == '-' || c == '+' || c == '%' ||
             static_cast<unsigned char>(c) >= 0x80;
    };
    size_t start = at;
    while (start > i && part(text[start - 1])) --start;
    size_t end = at + 1;
    while (end < text.size() && part(text[end])) ++end;
    out.append(text, i, start - i);
    out.append("<address>");
    i = end;
  }
  return out;
}

SmtpRelay::SmtpRelay(SmtpOptions options) : options_(std::move(options)) {
  InitCurlOnce();
}

RelayReply SmtpRelay::Send(const std::string& from, const std::string& to,
                           const std::string& message) {
  RelayReply reply;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    reply.transport_failed = true;
    reply.error = "libcurl could not start";
    return reply;
  }
  const bool implicit = options_.tls == SmtpOptions::Tls::kImplicit;
  const std::string url = absl::StrCat(implicit ? "smtps://" : "smtp://",
                                       options_.host, ":", options_.port);
  const std::string mail_from = absl::StrCat("<", from, ">");
  const std::string rcpt = absl::StrCat("<", to, ">");
  curl_slist* recipients = curl_slist_append(nullptr, rcpt.c_str());
  Upload upload{&message};
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadMessage);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  const long timeout_ms =
      static_cast<long>(absl::ToInt64Milliseconds(options_.timeout));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   std::min(timeout_ms, 10000L));
  if (options_.tls == SmtpOptions::Tls::kStartTls) {
    curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  }
  if (!options_.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  }
  if (!options_.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }
  const CURLcode result = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  reply.code = static_cast<int>(code);
  if (result == CURLE_OK) {
    if (reply.code == 0) reply.code = 250;
  } else {
    reply.transport_failed = reply.code == 0 || IsTransportError(result);
    if (reply.code >= 400) reply.transport_failed = false;
    reply.error = WithoutAddresses(
        absl::StrCat(reply.code > 0 ? absl::StrCat(reply.code, " ") : "",
                     error[0] != '\0' ? error : curl_easy_strerror(result)));
  }
  curl_slist_free_all(recipients);
  curl_easy_cleanup(curl);
  return reply;
}

}  // namespace training::notification

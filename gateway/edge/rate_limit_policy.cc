#include "gateway/edge/rate_limit_policy.h"

#include <openssl/sha.h>

#include <cmath>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "gateway/transcode/error_mapping.h"

namespace training::gateway::edge {
namespace {

// 128 bits of SHA-256: a bucket's name without what it is named after.
std::string Hashed(absl::string_view kind, absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
         digest);
  return absl::StrCat(kind, ":",
                      absl::BytesToHexString(absl::string_view(
                          reinterpret_cast<const char*>(digest), 16)));
}

int64_t CeilSeconds(absl::Duration d) {
  return std::max<int64_t>(
      0, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(d))));
}

bool IsChange(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

}  // namespace

RateLimitPolicy::Outcome RateLimitPolicy::Check(
    const http::HttpRequest& request) {
  const std::string credential = request.Header("authorization");
  const std::string address = proxies_->ClientAddress(
      request.peer_address, request.Header("x-forwarded-for"));
  struct Bucket {
    const char* name;
    std::string key;
    const RateLimit* limit;
  };
  std::vector<Bucket> buckets;
  if (!credential.empty()) {
    buckets.push_back({"key", Hashed("key", credential), &options_.per_key});
    buckets.push_back(
        {"address", Hashed("keyed-address", address), &options_.per_key});
  } else {
    buckets.push_back(
        {"address", Hashed("address", address), &options_.per_address});
    if (IsChange(request.method)) {
      buckets.push_back({"anonymous_write", Hashed("anonymous-write", address),
                         &options_.anonymous_writes});
    }
  }
  // The refusal that lasts longest, else the bucket nearest empty, is
  // what the headers tell.
  Outcome outcome;
  std::optional<RateDecision> shown;
  for (const Bucket& bucket : buckets) {
    if (!bucket.limit->enabled()) continue;
    RateDecision decision = limiter_->Check(bucket.key, *bucket.limit);
    if (!decision.allowed) {
      if (outcome.allowed || decision.retry_after > outcome.retry_after) {
        outcome.allowed = false;
        outcome.refused_by = bucket.name;
        outcome.retry_after = decision.retry_after;
        shown = decision;
      }
    } else if (outcome.allowed &&
               (!shown.has_value() || decision.remaining < shown->remaining)) {
      shown = decision;
    }
  }
  if (shown.has_value()) {
    outcome.headers = {
        {"RateLimit-Limit", absl::StrCat(shown->limit)},
        {"RateLimit-Remaining", absl::StrCat(shown->remaining)},
        {"RateLimit-Reset", absl::StrCat(CeilSeconds(shown->reset))}};
  }
  return outcome;
}

http::HttpResponse RateLimitPolicy::TooManyRequests(const Outcome& outcome) {
  absl::Status status = WithErrorInfo(
      WithRetryInfo(absl::ResourceExhaustedError(
                        "too many requests: try again after Retry-After "
                        "seconds"),
                    outcome.retry_after),
      "RATE_LIMITED", {{"limit", outcome.refused_by}});
  transcode::HttpError error = transcode::RenderError(status, 429);
  http::HttpResponse response;
  response.status = error.status;
  response.body = std::move(error.body);
  response.headers = std::move(error.headers);
  for (const auto& header : outcome.headers) response.headers.push_back(header);
  return response;
}

}  // namespace training::gateway::edge

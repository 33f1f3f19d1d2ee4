#include "gateway/edge/rate_limit_policy.h"

#include <cmath>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/auth/api_keys.h"
#include "common/status/errors.h"
#include "gateway/transcode/error_mapping.h"

namespace training::gateway::edge {
namespace {

// 128 bits of SHA-256: a bucket's name without what it is named after.
std::string Hashed(absl::string_view kind, absl::string_view text) {
  return absl::StrCat(kind, ":", auth::Sha256Hex(text).substr(0, 32));
}

int64_t CeilSeconds(absl::Duration d) {
  return std::max<int64_t>(
      0, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(d))));
}

bool IsChange(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// The API key a request presents, as the services read it ("Bearer" in
// any case, spaces trimmed); "" when it presents none, or a credential
// that is not shaped like an API key (a booking's manage token, garbage):
// those are limited as anonymous callers, so that neither token guessing
// nor a made-up credential escapes the address's limits.
std::string ApiKeyOf(const http::HttpRequest& request) {
  const std::string value = request.Header("authorization");
  constexpr absl::string_view kBearer = "bearer ";
  if (value.size() <= kBearer.size() ||
      !absl::StartsWithIgnoreCase(value, kBearer)) {
    return "";
  }
  absl::string_view key = absl::StripAsciiWhitespace(
      absl::string_view(value).substr(kBearer.size()));
  return absl::StartsWith(key, "trk_") ? std::string(key) : "";
}

// Every X-Forwarded-For line, in order, as one list: a proxy may add its
// own line after the client's.
std::string ForwardedFor(const http::HttpRequest& request) {
  std::string joined;
  for (const auto& [name, value] : request.headers) {
    if (name == "x-forwarded-for") {
      absl::StrAppend(&joined, joined.empty() ? "" : ", ", value);
    }
  }
  return joined;
}

}  // namespace

RateLimitPolicy::Outcome RateLimitPolicy::Check(
    const http::HttpRequest& request) {
  const std::string key = ApiKeyOf(request);
  // One IPv6 client holds a /64 at least: its bucket is the /64's.
  const std::string address = BucketAddress(
      proxies_->ClientAddress(request.peer_address, ForwardedFor(request)));
  struct Bucket {
    const char* name;
    std::string key;
    const RateLimit* limit;
  };
  std::vector<Bucket> buckets;
  // Hashing costs: only for limits that are on.
  auto add = [&](const char* name, const char* kind, const std::string& what,
                 const RateLimit& limit) {
    if (limit.enabled()) buckets.push_back({name, Hashed(kind, what), &limit});
  };
  if (!key.empty()) {
    add("key", "key", key, options_.per_key);
    add("address", "keyed-address", address, options_.per_key);
  } else {
    add("address", "address", address, options_.per_address);
    if (IsChange(request.method)) {
      add("anonymous_write", "anonymous-write", address,
          options_.anonymous_writes);
      // The API's enquiries and the public pages' "get in touch" form.
      if (request.method == "POST" &&
          (request.Path() == "/v1/enquiries" || request.Path() == "/contact")) {
        add("enquiry", "enquiry", address, options_.enquiries);
      }
    }
  }
  // The refusal that lasts longest, else the bucket nearest empty, is
  // what the headers tell.
  Outcome outcome;
  std::optional<RateDecision> shown;
  std::vector<RateLimiter::Bucket> checked;
  for (const Bucket& bucket : buckets) {
    checked.push_back({bucket.key, *bucket.limit});
  }
  const std::vector<RateDecision> decisions = checked.empty()
                                                  ? std::vector<RateDecision>{}
                                                  : limiter_->CheckAll(checked);
  for (size_t i = 0; i < buckets.size(); ++i) {
    const Bucket& bucket = buckets[i];
    const RateDecision& decision = decisions[i];
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

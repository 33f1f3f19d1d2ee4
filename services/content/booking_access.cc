#include "services/content/booking_access.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/auth/api_keys.h"
#include "common/logging/log.h"
#include "common/metrics/metrics.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "common/time/deadline.h"
#include "grpcpp/client_context.h"

namespace training::content {
namespace {

namespace booking = training::booking::v1;

void CountAnswer(const std::string& source) {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_content_booking_access_total",
      "Booking access answers by where they came from (cache, booking) and "
      "failures to ask.",
      {"source"});
  family.Add({source});
}

}  // namespace

absl::Status BookingAccessDenied() {
  return WithErrorInfo(
      absl::PermissionDeniedError(
          "authorization: the manage token does not open the booking"),
      "BOOKING_ACCESS_DENIED");
}

GrpcBookingAccess::GrpcBookingAccess(std::shared_ptr<grpc::Channel> channel,
                                     Options options, const Clock* clock)
    : stub_(booking::BookingService::NewStub(std::move(channel))),
      options_(std::move(options)),
      clock_(clock) {}

absl::StatusOr<BookingFacts> GrpcBookingAccess::Check(
    const std::string& booking, const std::string& manage_token) {
  // Length-prefixed, so that no two (booking, token) pairs share a key.
  const std::string key =
      auth::Sha256Hex(absl::StrCat(booking.size(), ":", booking, manage_token));
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expire > now) {
      CountAnswer("cache");
      if (!it->second.opens) return BookingAccessDenied();
      return it->second.facts;
    }
  }
  absl::StatusOr<Answer> answer = Ask(booking, manage_token);
  if (!answer.ok()) {
    CountAnswer("failed");
    return answer.status();
  }
  CountAnswer("booking");
  Remember(key, *answer);
  if (!answer->opens) return BookingAccessDenied();
  return answer->facts;
}

absl::StatusOr<GrpcBookingAccess::Answer> GrpcBookingAccess::Ask(
    const std::string& booking_name, const std::string& manage_token) {
  booking::CheckBookingAccessRequest request;
  request.set_booking(booking_name);
  request.set_manage_token(manage_token);
  booking::BookingAccess access;
  grpc::ClientContext context;
  // Never past the caller's own deadline.
  context.set_deadline(absl::ToChronoTime(
      std::min(absl::Now() + options_.timeout, CurrentDeadline())));
  context.AddMetadata("authorization", "Bearer " + options_.service_key);
  const grpc::Status status =
      stub_->CheckBookingAccess(&context, request, &access);
  Answer answer;
  answer.expire = clock_->Now() + options_.cache_ttl;
  // NOT_FOUND: the token opens nothing (booking says no more, to anyone);
  // INVALID_ARGUMENT: booking refused the name or token as malformed.
  if (status.error_code() == grpc::StatusCode::NOT_FOUND ||
      status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return answer;
  }
  if (!status.ok()) {
    // Whatever went wrong on the way (booking down, slow, or refusing this
    // service's key), the reader should try again shortly; the cause goes
    // to the log, never to the reader.
    log::Warning(
        "content.booking_access_failed",
        {{"code", static_cast<absl::StatusCode>(status.error_code())}});
    return WithRetryInfo(
        absl::UnavailableError(
            "booking: the booking service cannot say now who may read this"),
        absl::Seconds(5));
  }
  answer.opens = true;
  answer.facts.course = access.course();
  answer.facts.confirmed = access.state() == booking::Booking::CONFIRMED;
  answer.facts.attended =
      answer.facts.confirmed && access.attendance() == booking::ATTENDED;
  return answer;
}

void GrpcBookingAccess::Remember(const std::string& key, const Answer& answer) {
  if (options_.cache_ttl <= absl::ZeroDuration()) return;
  absl::MutexLock lock(&mu_);
  if (cache_.size() >= options_.max_cached) {
    // Expired answers go first; if none had, start afresh (a flood of
    // distinct tokens must not grow memory without bound).
    const absl::Time now = clock_->Now();
    absl::erase_if(cache_, [now](const auto& entry) {
      return entry.second.expire <= now;
    });
    if (cache_.size() >= options_.max_cached) cache_.clear();
  }
  cache_.insert_or_assign(key, answer);
}

}  // namespace training::content

#include "services/notification/delivery_log.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/notification/delivery_rules.h"

namespace training::notification {
namespace {

constexpr absl::string_view kPrefix = "deliveries/";

absl::StatusOr<std::string> DeliveryId(const std::string& name) {
  absl::string_view id = name;
  if (!absl::ConsumePrefix(&id, kPrefix) || id.empty() || id.size() > 64 ||
      id.find_first_not_of("0123456789abcdef") != absl::string_view::npos) {
    return InvalidArgumentError(
        {{"name", "must be deliveries/{delivery}, as the log names them"}});
  }
  return std::string(id);
}

bool IsNotifyStatus(absl::string_view status) {
  static const std::set<std::string, std::less<>> kKnown = {
      "created",           "sending",           "delivered",
      "temporary-failure", "permanent-failure", "technical-failure",
      "cancelled"};
  return kKnown.contains(status);
}

// The common filters; violations appended.
template <typename Request>
DeliveryFilter FilterOf(const Request& r,
                        std::vector<FieldViolation>& violations) {
  DeliveryFilter f;
  if (!r.booking().empty()) {
    if (!absl::StartsWith(r.booking(), "bookings/") ||
        r.booking().size() > 40) {
      violations.push_back({"booking", "must be bookings/{reference}"});
    }
    f.booking = r.booking();
  }
  for (int kind : r.kinds()) {
    if (kind == v1::MESSAGE_KIND_UNSPECIFIED ||
        !v1::MessageKind_IsValid(kind)) {
      violations.push_back({"kinds", "must hold known message kinds"});
      break;
    }
    f.kinds.push_back(kind);
  }
  if (r.has_start_time()) f.start = FromProto(r.start_time());
  if (r.has_end_time()) f.end = FromProto(r.end_time());
  if (f.start && f.end && *f.end <= *f.start) {
    violations.push_back({"end_time", "must be after start_time"});
  }
  return f;
}

}  // namespace

absl::StatusOr<v1::Delivery> DeliveryLog::GetDelivery(
    const auth::Principal&, const v1::GetDeliveryRequest& r) {
  ASSIGN_OR_RETURN(std::string id, DeliveryId(r.name()));
  ASSIGN_OR_RETURN(std::optional<v1::Delivery> found, store_->GetDelivery(id));
  if (!found) return absl::NotFoundError("name: no such delivery");
  return *found;
}

absl::StatusOr<v1::ListDeliveriesResponse> DeliveryLog::ListDeliveries(
    const auth::Principal&, const v1::ListDeliveriesRequest& r) {
  std::vector<FieldViolation> violations;
  DeliveryFilter filter = FilterOf(r, violations);
  for (int state : r.states()) {
    if (state == v1::Delivery::STATE_UNSPECIFIED ||
        !v1::Delivery::State_IsValid(state)) {
      violations.push_back({"states", "must hold known delivery states"});
      break;
    }
    filter.states.push_back(state);
  }
  for (const std::string& status : r.notify_statuses()) {
    if (!IsNotifyStatus(status)) {
      violations.push_back(
          {"notify_statuses", "must hold Notify's status names"});
      break;
    }
    filter.notify_statuses.push_back(status);
  }
  absl::StatusOr<int> limit = requests::EffectivePageSize(r.page_size());
  if (!limit.ok()) violations.push_back({"page_size", "must not be negative"});
  const std::string filters = requests::FiltersFingerprint(r);
  std::optional<std::pair<int64_t, std::string>> after;
  if (!r.page_token().empty()) {
    absl::StatusOr<requests::PageKey> key =
        requests::DecodePageToken(r.page_token(), filters);
    int64_t create_us = 0;
    if (!key.ok() || !absl::SimpleAtoi(key->sort_key, &create_us)) {
      violations.push_back({"page_token",
                            "is not a token this list returned for these "
                            "filters"});
    } else {
      after.emplace(create_us, key->name);
    }
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  ASSIGN_OR_RETURN(std::vector<v1::Delivery> page,
                   store_->ListDeliveries(filter, after, *limit + 1));
  v1::ListDeliveriesResponse response;
  const bool more = static_cast<int>(page.size()) > *limit;
  if (more) page.resize(*limit);
  for (v1::Delivery& d : page) *response.add_deliveries() = std::move(d);
  if (more) {
    const v1::Delivery& last =
        response.deliveries(response.deliveries_size() - 1);
    response.set_next_page_token(requests::EncodePageToken(
        {absl::StrCat(absl::ToUnixMicros(FromProto(last.create_time()))),
         last.name().substr(kPrefix.size())},
        filters));
  }
  return response;
}

absl::StatusOr<v1::CountDeliveriesResponse> DeliveryLog::CountDeliveries(
    const auth::Principal&, const v1::CountDeliveriesRequest& r) {
  std::vector<FieldViolation> violations;
  DeliveryFilter filter = FilterOf(r, violations);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  ASSIGN_OR_RETURN(auto counts, store_->CountDeliveries(filter));
  v1::CountDeliveriesResponse response;
  for (const auto& [status, n] : counts) {
    (*response.mutable_counts())[status] = n;
    response.set_total(response.total() + n);
  }
  return response;
}

absl::StatusOr<v1::Delivery> DeliveryLog::RetryDelivery(
    const auth::Principal&, const v1::RetryDeliveryRequest& r) {
  ASSIGN_OR_RETURN(std::string id, DeliveryId(r.name()));
  return store_->RetryDelivery(id, clock_->Now());
}

absl::StatusOr<v1::Delivery> DeliveryLog::CancelDelivery(
    const auth::Principal&, const v1::CancelDeliveryRequest& r) {
  ASSIGN_OR_RETURN(std::string id, DeliveryId(r.name()));
  return store_->CancelDelivery(id, clock_->Now());
}

}  // namespace training::notification

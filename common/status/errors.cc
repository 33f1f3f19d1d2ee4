#include "common/status/errors.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/duration.pb.h"
#include "google/rpc/error_details.pb.h"

namespace training {
namespace {

constexpr char kBadRequestUrl[] = "type.googleapis.com/google.rpc.BadRequest";
constexpr char kErrorInfoUrl[] = "type.googleapis.com/google.rpc.ErrorInfo";
constexpr char kRetryInfoUrl[] = "type.googleapis.com/google.rpc.RetryInfo";
constexpr char kConflictUrl[] = "training.internal/TransactionConflict";

template <typename Proto>
std::optional<Proto> GetPayload(const absl::Status& status, const char* url) {
  // Debian builds Abseil with its own optional, not std::optional.
  auto payload = status.GetPayload(url);
  if (!payload.has_value()) return std::nullopt;
  Proto proto;
  if (!proto.ParseFromString(std::string(*payload))) return std::nullopt;
  return proto;
}

}  // namespace

absl::Status InvalidArgumentError(std::vector<FieldViolation> violations) {
  google::rpc::BadRequest bad_request;
  std::vector<std::string> parts;
  for (auto& v : violations) {
    parts.push_back(absl::StrCat(v.field, ": ", v.description));
    auto* fv = bad_request.add_field_violations();
    fv->set_field(std::move(v.field));
    fv->set_description(std::move(v.description));
  }
  absl::Status status = absl::InvalidArgumentError(absl::StrJoin(parts, "; "));
  status.SetPayload(kBadRequestUrl,
                    absl::Cord(bad_request.SerializeAsString()));
  return status;
}

absl::Status WithErrorInfo(absl::Status status, std::string reason,
                           std::map<std::string, std::string> metadata) {
  if (status.ok()) return status;
  google::rpc::ErrorInfo info;
  info.set_reason(std::move(reason));
  info.set_domain(kErrorDomain);
  for (auto& [k, v] : metadata) (*info.mutable_metadata())[k] = v;
  status.SetPayload(kErrorInfoUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status WithRetryInfo(absl::Status status, absl::Duration delay) {
  if (status.ok()) return status;
  google::rpc::RetryInfo info;
  const int64_t nanos = absl::ToInt64Nanoseconds(delay);
  info.mutable_retry_delay()->set_seconds(nanos / 1000000000);
  info.mutable_retry_delay()->set_nanos(
      static_cast<int32_t>(nanos % 1000000000));
  status.SetPayload(kRetryInfoUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status OverloadedError(absl::string_view message,
                             absl::Duration retry_after) {
  return WithRetryInfo(absl::ResourceExhaustedError(message), retry_after);
}

absl::Status TransactionConflictError(absl::string_view message) {
  absl::Status status = absl::AbortedError(message);
  status.SetPayload(kConflictUrl, absl::Cord());
  return status;
}

bool IsTransactionConflict(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted &&
         status.GetPayload(kConflictUrl).has_value();
}

std::vector<FieldViolation> GetFieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto bad_request =
      GetPayload<google::rpc::BadRequest>(status, kBadRequestUrl);
  if (!bad_request.has_value()) return out;
  for (const auto& fv : bad_request->field_violations()) {
    out.push_back({fv.field(), fv.description()});
  }
  return out;
}

std::optional<ErrorInfo> GetErrorInfo(const absl::Status& status) {
  auto info = GetPayload<google::rpc::ErrorInfo>(status, kErrorInfoUrl);
  if (!info.has_value()) return std::nullopt;
  ErrorInfo out{info->reason(), info->domain(), {}};
  for (const auto& [k, v] : info->metadata()) out.metadata[k] = v;
  return out;
}

std::optional<absl::Duration> GetRetryDelay(const absl::Status& status) {
  auto info = GetPayload<google::rpc::RetryInfo>(status, kRetryInfoUrl);
  if (!info.has_value()) return std::nullopt;
  return absl::Seconds(info->retry_delay().seconds()) +
         absl::Nanoseconds(info->retry_delay().nanos());
}

}  // namespace training

#include "common/status/grpc_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"

namespace training {

google::rpc::Status ToRpcStatus(const absl::Status& status) {
  google::rpc::Status rpc;
  rpc.set_code(static_cast<int>(status.code()));
  rpc.set_message(std::string(status.message()));
  status.ForEachPayload(
      [&rpc](absl::string_view type_url, const absl::Cord& payload) {
        // Marks for the process itself (errors.h) are not details.
        if (absl::StartsWith(type_url, "training.internal/")) return;
        auto* any = rpc.add_details();
        any->set_type_url(std::string(type_url));
        any->set_value(std::string(payload));
      });
  return rpc;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // Both code spaces are the canonical google.rpc.Code numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()),
                      ToRpcStatus(status).SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()),
                   status.error_message());
  google::rpc::Status rpc;
  if (!status.error_details().empty() &&
      rpc.ParseFromString(status.error_details())) {
    for (const auto& any : rpc.details()) {
      out.SetPayload(any.type_url(), absl::Cord(any.value()));
    }
  }
  return out;
}

}  // namespace training

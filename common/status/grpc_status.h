#ifndef TRAINING_COMMON_STATUS_GRPC_STATUS_H_
#define TRAINING_COMMON_STATUS_GRPC_STATUS_H_

// absl::Status <-> grpc::Status with google.rpc.Status details in the
// `grpc-status-details-bin` trailer. Handlers use the first direction; the
// gateway and tests the second.

#include "absl/status/status.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"

namespace training {

// The google.rpc.Status equivalent of `status`: code, message and every
// payload as an Any, except the process's own marks (errors.h).
google::rpc::Status ToRpcStatus(const absl::Status& status);

// `status` as a grpc::Status whose error details are ToRpcStatus(status).
grpc::Status ToGrpcStatus(const absl::Status& status);

// Reads a grpc::Status back, payloads included (from its error details when
// they parse as a google.rpc.Status).
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace training

#endif  // TRAINING_COMMON_STATUS_GRPC_STATUS_H_

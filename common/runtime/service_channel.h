#ifndef TRAINING_COMMON_RUNTIME_SERVICE_CHANNEL_H_
#define TRAINING_COMMON_RUNTIME_SERVICE_CHANNEL_H_

// The channels the suite's services call each other on, and the server
// setting that keeps them spread over replicas.
//
// On Kubernetes a backend is a headless Service: `dns:///booking:7052`
// resolves to every ready pod. A client spreads its calls over all of them
// (round_robin), and each server closes a connection after
// --max_connection_age, so that a client meets pods started since it
// connected (it re-resolves on reconnecting).

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace training::runtime {

// A channel to `target` (`dns:///host:port`, `ipv4:a:p,b:p`, or
// `host:port`) with round_robin over its addresses and keepalive pings
// that notice a pod gone between calls.
std::shared_ptr<grpc::Channel> NewServiceChannel(
    const std::string& target,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials);

// Closes each connection `age` after it opened (GOAWAY), letting calls in
// flight finish within `grace`; no limit when `age` is zero.
void SetMaxConnectionAge(grpc::ServerBuilder& builder, absl::Duration age,
                         absl::Duration grace);

}  // namespace training::runtime

#endif  // TRAINING_COMMON_RUNTIME_SERVICE_CHANNEL_H_

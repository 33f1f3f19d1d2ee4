#ifndef TRAINING_GATEWAY_UPSTREAM_BACKENDS_H_
#define TRAINING_GATEWAY_UPSTREAM_BACKENDS_H_

// The gRPC channels to the services behind the gateway, one per backend,
// shared by calls and health checks. Each uses gRPC's `round_robin` policy:
// given a `dns:///` target that resolves to several addresses (a headless
// Kubernetes Service names every ready pod), calls spread over all of them
// and follow the pods as they come and go.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace training::gateway {

struct Backend {
  std::string name;     // `catalogue`
  std::string address;  // `127.0.0.1:7051` or `dns:///catalogue:7051`
};

class Backends {
 public:
  // `credentials`: how to reach the backends (TLS or plaintext).
  Backends(const std::vector<Backend>& backends,
           const std::shared_ptr<grpc::ChannelCredentials>& credentials);

  // nullptr for a backend not configured.
  grpc::GenericStub* Stub(const std::string& name) const;
  std::shared_ptr<grpc::Channel> Channel(const std::string& name) const;
  const std::vector<Backend>& list() const { return backends_; }

 private:
  struct Entry {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<grpc::GenericStub> stub;
  };
  std::vector<Backend> backends_;
  std::map<std::string, Entry> entries_;
};

}  // namespace training::gateway

#endif  // TRAINING_GATEWAY_UPSTREAM_BACKENDS_H_

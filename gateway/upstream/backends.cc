#include "gateway/upstream/backends.h"

namespace training::gateway {

Backends::Backends(const std::vector<Backend>& backends,
                   const std::shared_ptr<grpc::ChannelCredentials>& credentials)
    : backends_(backends) {
  for (const Backend& backend : backends) {
    grpc::ChannelArguments args;
    args.SetLoadBalancingPolicyName("round_robin");
    // Notice a pod that went away between calls, not on the next call.
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
    auto channel =
        grpc::CreateCustomChannel(backend.address, credentials, args);
    auto stub = std::make_unique<grpc::GenericStub>(channel);
    entries_[backend.name] = {std::move(channel), std::move(stub)};
  }
}

grpc::GenericStub* Backends::Stub(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : it->second.stub.get();
}

std::shared_ptr<grpc::Channel> Backends::Channel(
    const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : it->second.channel;
}

}  // namespace training::gateway

#include "gateway/upstream/backends.h"

#include "common/runtime/service_channel.h"

namespace training::gateway {

Backends::Backends(const std::vector<Backend>& backends,
                   const std::shared_ptr<grpc::ChannelCredentials>& credentials)
    : backends_(backends) {
  for (const Backend& backend : backends) {
    auto channel = runtime::NewServiceChannel(backend.address, credentials);
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

#include "common/runtime/service_channel.h"

namespace training::runtime {

std::shared_ptr<grpc::Channel> NewServiceChannel(
    const std::string& target,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");
  // Notice a pod that went away between calls, not on the next call.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  return grpc::CreateCustomChannel(target, credentials, args);
}

void SetMaxConnectionAge(grpc::ServerBuilder& builder, absl::Duration age,
                         absl::Duration grace) {
  if (age <= absl::ZeroDuration()) return;
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(age)));
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
      static_cast<int>(absl::ToInt64Milliseconds(grace)));
}

}  // namespace training::runtime

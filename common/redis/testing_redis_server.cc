#include "common/redis/testing_redis_server.h"

#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/redis/redis_client.h"

namespace training::redis::testing {

RedisServer::RedisServer()
    : port_(training::testing::FreePort()),
      dir_(training::testing::MakeTempDir("redis")) {}

RedisServer::~RedisServer() {
  if (frozen_) Thaw();
  Stop();
}

std::string RedisServer::url(const std::string& params) const {
  return absl::StrCat("redis://127.0.0.1:", port_, params.empty() ? "" : "?",
                      params);
}

void RedisServer::UseAclFile(const std::string& path, const std::string& user,
                             const std::string& password) {
  acl_file_ = path;
  acl_user_ = user;
  acl_password_ = password;
}

bool RedisServer::Start() {
  std::vector<std::string> args = {
      "--port", absl::StrCat(port_), "--bind", "127.0.0.1", "--save",
      "",       "--appendonly",      "no",     "--dir",     dir_};
  if (!acl_file_.empty()) {
    args.push_back("--aclfile");
    args.push_back(acl_file_);
  }
  process_ = std::make_unique<training::testing::ChildProcess>(
      "/usr/bin/redis-server", args, std::map<std::string, std::string>{},
      dir_ + "/redis.log");
  RedisClient client(RedisOptions{
      .port = port_, .user = acl_user_, .password = acl_password_});
  for (absl::Time end = absl::Now() + absl::Seconds(30); absl::Now() < end;) {
    if (client.Command({"PING"}).ok()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

void RedisServer::Stop() {
  if (!process_) return;
  process_->Signal(SIGTERM);
  process_->Wait(absl::Seconds(30));
  process_.reset();
}

void RedisServer::Freeze() {
  if (process_) process_->Signal(SIGSTOP);
  frozen_ = true;
}

void RedisServer::Thaw() {
  if (process_) process_->Signal(SIGCONT);
  frozen_ = false;
}

}  // namespace training::redis::testing

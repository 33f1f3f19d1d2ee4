#ifndef TRAINING_COMMON_REDIS_TESTING_REDIS_SERVER_H_
#define TRAINING_COMMON_REDIS_TESTING_REDIS_SERVER_H_

// A real redis-server owned by one test, on a free port, that the test can
// stop, restart, freeze (SIGSTOP) and thaw.

#include <memory>
#include <string>

#include "common/testing/process.h"

namespace training::redis::testing {

class RedisServer {
 public:
  RedisServer();
  ~RedisServer();

  // Starts (or restarts on the same port) and waits until it answers PING.
  bool Start();
  // Before Start: users from an ACL file (`aclfile`); the server is then
  // pinged as `user` with `password`.
  void UseAclFile(const std::string& path, const std::string& user,
                  const std::string& password);
  // SIGTERM and wait.
  void Stop();
  void Freeze();
  void Thaw();

  int port() const { return port_; }
  std::string url(const std::string& params = "") const;

 private:
  int port_;
  std::string dir_;
  std::string acl_file_, acl_user_, acl_password_;
  std::unique_ptr<training::testing::ChildProcess> process_;
  bool frozen_ = false;
};

}  // namespace training::redis::testing

#endif  // TRAINING_COMMON_REDIS_TESTING_REDIS_SERVER_H_

#include "common/sql/testing/postgres_server.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace training::sql::testing {
namespace {

constexpr absl::Duration kWatchdog = absl::Seconds(120);

// The newest installed server's binaries (Debian: /usr/lib/postgresql/N).
std::string BinDir() {
  std::string newest;
  int newest_version = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator("/usr/lib/postgresql")) {
    const int version = std::atoi(entry.path().filename().c_str());
    if (version > newest_version) {
      newest_version = version;
      newest = entry.path().string();
    }
  }
  return newest + "/bin";
}

// `command` as the user PostgreSQL runs as, from / (initdb and postgres
// go back to the starting directory, which that user may not reach).
std::vector<std::string> AsServerUser(std::vector<std::string> command) {
  std::vector<std::string> args = {"-C", "/"};
  if (getuid() == 0) {
    args.insert(args.end(), {"setpriv", "--reuid=postgres", "--regid=postgres",
                             "--init-groups"});
  }
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

}  // namespace

PostgresServer::PostgresServer()
    : dir_(training::testing::MakeTempDir("pg")),
      port_(training::testing::FreePort()) {}

PostgresServer::~PostgresServer() {
  if (frozen_) Thaw();
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string PostgresServer::url() const {
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/postgres");
}

std::string PostgresServer::Log() const {
  return server_ ? server_->Log() : "";
}

bool PostgresServer::Start() {
  const std::string data = dir_ + "/data";
  const std::string bin = BinDir();
  if (!std::filesystem::exists(data)) {
    std::filesystem::create_directories(data);
    std::filesystem::permissions(dir_, std::filesystem::perms(0755));
    if (getuid() == 0) {
      const passwd* postgres = getpwnam("postgres");
      if (postgres == nullptr ||
          chown(data.c_str(), postgres->pw_uid, postgres->pw_gid) != 0 ||
          chown(dir_.c_str(), postgres->pw_uid, postgres->pw_gid) != 0) {
        return false;
      }
    }
    training::testing::ChildProcess initdb(
        "/usr/bin/env",
        AsServerUser({bin + "/initdb", "-D", data, "-U", "postgres", "-A",
                      "trust", "--encoding=UTF8", "--locale=C"}),
        {}, dir_ + "/initdb.log");
    if (initdb.Wait(kWatchdog) != std::optional<int>(0)) return false;
  }
  server_ = std::make_unique<training::testing::ChildProcess>(
      "/usr/bin/env",
      AsServerUser({bin + "/postgres", "-D", data, "-p", absl::StrCat(port_),
                    "-k", dir_, "-c", "listen_addresses=127.0.0.1", "-c",
                    "fsync=off", "-c", "max_connections=50"}),
      std::map<std::string, std::string>{}, dir_ + "/server.log");
  const std::string ping = absl::StrCat("host=127.0.0.1 port=", port_,
                                        " user=postgres dbname=postgres "
                                        "connect_timeout=2");
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    if (PQping(ping.c_str()) == PQPING_OK) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

void PostgresServer::Stop() {
  if (!server_) return;
  server_->Signal(SIGINT);  // fast shutdown: clients are disconnected
  server_->Wait(kWatchdog);
  server_.reset();
}

// The processes the server forked: backends and background workers. (Each
// runs in a session of its own, so a process group does not reach them.)
std::vector<pid_t> Children(pid_t parent) {
  std::vector<pid_t> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    // pid (comm) state ppid …; comm may hold spaces, so read after ')'.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    if (rest >> state >> ppid && ppid == parent) children.push_back(pid);
  }
  return children;
}

void PostgresServer::Freeze() {
  if (!server_) return;
  // The server first, so that it forks nobody new meanwhile.
  kill(server_->pid(), SIGSTOP);
  for (pid_t child : Children(server_->pid())) kill(child, SIGSTOP);
  frozen_ = true;
}

void PostgresServer::Thaw() {
  if (!server_) return;
  for (pid_t child : Children(server_->pid())) kill(child, SIGCONT);
  kill(server_->pid(), SIGCONT);
  frozen_ = false;
}

}  // namespace training::sql::testing

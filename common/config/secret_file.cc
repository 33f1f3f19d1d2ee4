#include "common/config/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace training::config {
namespace {

absl::Status CannotKeep(const std::string& what, const std::string& path,
                        absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat(
      what, ": the generated secret cannot be kept in ", path, " (", why,
      "): give the secret by configuration, or a directory "
      "this service may write"));
}

// Writes `text` to `path` durably: a temporary file, fsync, rename, and an
// fsync of the directory so that the rename itself survives a crash.
absl::Status WriteDurably(const std::string& path, const std::string& text,
                          const std::string& what) {
  const std::string temporary = path + ".tmp";
  const int fd =
      open(temporary.c_str(),
           O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return CannotKeep(what, path, strerror(errno));
  bool ok = fchmod(fd, 0600) == 0;
  for (size_t done = 0; ok && done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && fsync(fd) == 0;
  const int saved = errno;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string why = strerror(ok ? errno : saved);
    unlink(temporary.c_str());
    return CannotKeep(what, path, why);
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dir_fd =
      open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || fsync(dir_fd) != 0) {
    const std::string why = strerror(errno);
    if (dir_fd >= 0) close(dir_fd);
    return CannotKeep(what, path, why);
  }
  close(dir_fd);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFirstLine(const std::string& path,
                                          const std::string& what) {
  std::ifstream in(path);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": ", path,
        " exists but cannot be read: let this service read it (it holds the "
        "secret everything issued so far was signed with)"));
  }
  std::string line;
  if (!std::getline(in, line) || line.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": ", path,
        " exists but holds no secret; remove it to make a new one (every "
        "token it signed stops working) or give the secret by "
        "configuration"));
  }
  return line;
}

}  // namespace

absl::StatusOr<std::string> ReadOrCreateSecretFile(
    const std::string& path, const std::string& what,
    const std::function<absl::StatusOr<std::string>()>& make) {
  std::error_code error;
  if (std::filesystem::exists(path, error)) return ReadFirstLine(path, what);
  if (error) return CannotKeep(what, path, error.message());
  absl::StatusOr<std::string> secret = make();
  if (!secret.ok()) return secret.status();
  if (absl::Status written = WriteDurably(path, *secret + "\n", what);
      !written.ok()) {
    return written;
  }
  absl::StatusOr<std::string> kept = ReadFirstLine(path, what);
  if (!kept.ok() || *kept != *secret) {
    return CannotKeep(what, path, "it did not read back as written");
  }
  return kept;
}

}  // namespace training::config

#include "tests/test_keys.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth/api_keys.h"

namespace training::testing {

std::string KeyEntry(const std::string& name, const std::string& key,
                     const std::string& role,
                     const std::vector<std::string>& scopes,
                     const std::string& organisation) {
  std::vector<std::string> quoted;
  for (const auto& s : scopes) quoted.push_back(absl::StrCat("\"", s, "\""));
  return absl::StrCat(R"({"name":")", name, R"(","sha256":")",
                      auth::Sha256Hex(key), R"(","role":")", role,
                      R"(","organisation":")", organisation, R"(","scopes":[)",
                      absl::StrJoin(quoted, ","), "]}");
}

std::string ServiceKeyEntry(const std::string& name, const std::string& key,
                            const std::string& service) {
  return absl::StrCat(R"({"name":")", name, R"(","sha256":")",
                      auth::Sha256Hex(key), R"(","role":"SERVICE","service":")",
                      service, R"("})");
}

std::string KeyFile(const std::vector<std::string>& entries) {
  return absl::StrCat(R"({"keys":[)", absl::StrJoin(entries, ","), "]}");
}

}  // namespace training::testing

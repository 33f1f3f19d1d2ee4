// README's configuration tables against what each binary says of itself:
// every flag a binary has is in its tables, with the default its --help
// prints, and its tables hold no flag it lacks. Every binary, the tools
// included, answers --help with exit status 0.

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/testing/process.h"
#include "gtest/gtest.h"

namespace training::testing {
namespace {

constexpr absl::Duration kWatchdog = absl::Seconds(60);

using Defaults = std::map<std::string, std::string>;  // flag -> default

struct Help {
  std::optional<int> exit_code;
  std::string text;
};

Help RunHelp(const std::string& binary) {
  const std::string dir = MakeTempDir("help");
  ChildProcess process(binary, {"--help"}, {}, dir + "/out");
  Help help;
  help.exit_code = process.Wait(kWatchdog);
  help.text = process.Log();
  return help;
}

// "  --name (TRAINING_NAME)  default value" lines of a service's --help.
Defaults FlagsInHelp(const std::string& text) {
  static const std::regex line(R"(^  --(\w+) \(TRAINING_\w+\)  default (.*)$)");
  Defaults defaults;
  for (absl::string_view l : absl::StrSplit(text, '\n')) {
    std::smatch m;
    const std::string s(l);
    if (std::regex_match(s, m, line)) defaults[m[1]] = m[2];
  }
  return defaults;
}

// The rows "| `--name` | `default` | …" of each "### heading" table of
// README's Configuration section, by heading.
std::map<std::string, Defaults> TablesInReadme() {
  std::ifstream in(README_PATH);
  std::stringstream text;
  text << in.rdbuf();
  static const std::regex row(R"(^\| `--(\w+)` \| `([^`]*)` \|.*)");
  std::map<std::string, Defaults> tables;
  bool in_configuration = false;
  std::string heading;
  for (absl::string_view l : absl::StrSplit(text.str(), '\n')) {
    const std::string s(l);
    if (absl::StartsWith(s, "## ")) in_configuration = s == "## Configuration";
    if (!in_configuration) continue;
    if (absl::StartsWith(s, "### ")) heading = s.substr(4);
    std::smatch m;
    if (std::regex_match(s, m, row)) tables[heading][m[1]] = m[2];
  }
  return tables;
}

// Each binary with flags, and the README tables that hold them.
const std::vector<std::pair<std::string, std::vector<std::string>>>&
Binaries() {
  static const auto* binaries =
      new std::vector<std::pair<std::string, std::vector<std::string>>>{
          {CATALOGUE_BINARY,
           {"Every service", "Services that publish events", "catalogue"}},
          {BOOKING_BINARY,
           {"Every service", "Services that publish events", "booking"}},
          {NOTIFICATION_BINARY, {"Every service", "notification"}},
          {CONTENT_BINARY,
           {"Every service", "Services that publish events", "content"}},
          {GATEWAY_BINARY, {"gateway"}},
          {CATALOGUE_DEMO_BINARY, {"training_catalogue_demo"}},
          {CONTENT_SEED_BINARY, {"training_content_seed"}},
      };
  return *binaries;
}

TEST(ConfigurationTest, ReadmeTablesMatchEveryBinarysFlagsAndDefaults) {
  const std::map<std::string, Defaults> tables = TablesInReadme();
  for (const auto& [binary, headings] : Binaries()) {
    SCOPED_TRACE(binary);
    Defaults documented;
    for (const std::string& heading : headings) {
      auto table = tables.find(heading);
      ASSERT_NE(table, tables.end()) << "README has no table " << heading;
      for (const auto& [flag, value] : table->second) {
        // Twice for one binary, one row would go unchecked.
        EXPECT_TRUE(documented.emplace(flag, value).second)
            << "--" << flag << " is in two of its tables";
      }
    }

    const Help help = RunHelp(binary);
    const Defaults real = FlagsInHelp(help.text);

    EXPECT_EQ(help.exit_code, std::optional<int>(0));
    ASSERT_FALSE(real.empty()) << help.text;
    for (const auto& [flag, value] : real) {
      auto doc = documented.find(flag);
      if (doc == documented.end()) {
        ADD_FAILURE() << "--" << flag << " is not in README";
        continue;
      }
      EXPECT_EQ(doc->second, value) << "--" << flag << "'s default";
    }
    for (const auto& [flag, value] : documented) {
      EXPECT_TRUE(real.contains(flag)) << "README documents --" << flag;
    }
  }
}

// A table under a heading no binary reads would be checked against
// nothing.
TEST(ConfigurationTest, EveryConfigurationTableBelongsToABinary) {
  std::set<std::string> read;
  for (const auto& [binary, headings] : Binaries()) {
    read.insert(headings.begin(), headings.end());
  }

  const std::map<std::string, Defaults> tables = TablesInReadme();

  EXPECT_FALSE(tables.empty());
  for (const auto& [heading, rows] : tables) {
    EXPECT_TRUE(read.contains(heading)) << "no binary reads " << heading;
  }
}

TEST(ConfigurationTest, EveryToolAnswersHelpWithExitZero) {
  for (const char* tool : {KEYS_BINARY, GRPC_TOOL_BINARY, EVENTS_TOOL_BINARY,
                           OPENAPI_TOOL_BINARY}) {
    SCOPED_TRACE(tool);

    const Help help = RunHelp(tool);

    EXPECT_EQ(help.exit_code, std::optional<int>(0));
    EXPECT_TRUE(absl::StrContains(help.text, "usage:")) << help.text;
  }
}

// The demo key file holds the hashes of admin and service keys: only its
// owner may read it, even when it replaces a file that others could, and
// each service key says whose it is.
TEST(ConfigurationTest, KeysToolWritesTheDemoKeyFileForItsOwnerOnly) {
  const std::string dir = MakeTempDir("keys-tool");
  const std::string path = dir + "/keys.json";
  std::ofstream(path) << "{}";
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);

  ChildProcess tool(KEYS_BINARY, {"demo", path}, {}, dir + "/out");

  ASSERT_EQ(tool.Wait(kWatchdog), std::optional<int>(0)) << tool.Log();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::stringstream json;
  json << std::ifstream(path).rdbuf();
  for (const char* service :
       {"catalogue", "booking", "notification", "content", "gateway"}) {
    EXPECT_TRUE(absl::StrContains(
        json.str(), absl::StrCat("\"service\": \"", service, "\"")))
        << service << " in " << json.str();
  }
}

}  // namespace
}  // namespace training::testing

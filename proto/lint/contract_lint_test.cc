#include "proto/lint/contract_lint.h"

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::contract {
namespace {

using ::testing::IsEmpty;

google::protobuf::FileDescriptorSet ReadSet(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  google::protobuf::FileDescriptorSet set;
  EXPECT_TRUE(set.ParseFromString(bytes.str())) << path;
  return set;
}

std::string Describe(const std::vector<LintFinding>& findings) {
  std::string out;
  for (const auto& f : findings) {
    out += f.element + " [" + f.rule + "] " + f.message + "\n";
  }
  return out;
}

TEST(ContractLintTest, RealContractIsClean) {
  auto set = ReadSet(TRAINING_DESCRIPTOR_SET);
  ASSERT_GT(set.file_size(), 10);

  auto findings = LintDescriptorSet(set);

  ASSERT_TRUE(findings.ok()) << findings.status();
  EXPECT_THAT(*findings, IsEmpty()) << Describe(*findings);
}

TEST(ContractLintTest, RealContractHasEveryService) {
  auto set = ReadSet(TRAINING_DESCRIPTOR_SET);
  std::set<std::string> services;
  for (const auto& file : set.file()) {
    for (const auto& service : file.service()) {
      services.insert(file.package() + "." + service.name());
    }
  }

  EXPECT_THAT(services, ::testing::IsSupersetOf(
                            {"training.catalogue.v1.CatalogueService",
                             "training.booking.v1.BookingService",
                             "training.notification.v1.NotificationService",
                             "training.content.v1.ContentService"}));
}

struct BadCase {
  const char* file;
  const char* rule;
  int count;
};

TEST(ContractLintTest, RejectsEachBadProtoForItsRule) {
  const BadCase cases[] = {
      {"clean", "", 0},
      {"access_missing", "access-missing", 1},
      {"http_missing", "http-missing", 1},
      {"http_on_internal", "http-on-internal", 1},
      // No callers, an unknown one, the gateway, and callers on an ADMIN
      // rule.
      {"callers", "callers", 4},
      // Allowed on the PUBLIC RPC, refused on the ADMIN one.
      {"accept_unknown_bearer", "accept-unknown-bearer", 1},
      {"http_verb", "http-verb", 2},
      {"http_path_variable", "http-path-variable", 1},
      {"enum_zero", "enum-zero", 1},
      {"time_type", "time-type", 1},
      // The RPC, the message and its field.
      {"comment_missing", "comment-missing", 3},
      // A payload with no rule, and an OWN_BOOKINGS one without a scope.
      {"webhook_rule", "webhook-rule", 2},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    auto set = ReadSet(std::string(LINT_TESTDATA_DIR) + "/" + c.file + ".pb");

    auto findings = LintDescriptorSet(set);

    ASSERT_TRUE(findings.ok()) << findings.status();
    EXPECT_EQ(static_cast<int>(findings->size()), c.count)
        << Describe(*findings);
    for (const auto& f : *findings) EXPECT_EQ(f.rule, c.rule) << f.element;
  }
}

TEST(ContractLintTest, ClassifiesMethodsByAipKind) {
  const std::pair<const char*, MethodKind> cases[] = {
      {"GetCourse", MethodKind::kGet},
      {"GetRegister", MethodKind::kGet},
      {"ListSessions", MethodKind::kList},
      {"BatchGetAvailability", MethodKind::kBatchGet},
      {"CreateBooking", MethodKind::kCreate},
      {"UpdateVenue", MethodKind::kUpdate},
      {"DeleteTrainer", MethodKind::kDelete},
      {"CancelBooking", MethodKind::kCustom},
      {"BatchRecordAttendance", MethodKind::kCustom},
      {"Getaway", MethodKind::kCustom},
      {"CountDeliveries", MethodKind::kReadOnlyCustom},
      {"DownloadBookingCalendar", MethodKind::kReadOnlyCustom},
      {"ListTemplateRevisions", MethodKind::kList},
      {"Countdown", MethodKind::kCustom},
  };
  for (const auto& [name, kind] : cases) {
    SCOPED_TRACE(name);
    EXPECT_EQ(ClassifyMethod(name), kind);
  }
}

}  // namespace
}  // namespace training::contract

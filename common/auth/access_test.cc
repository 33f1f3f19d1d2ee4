#include "common/auth/access.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::auth {
namespace {

using training::api::v1::AccessRule;
using training::api::v1::Audience;
using ::training::testing::IsOk;
using ::training::testing::StatusIs;
using Kind = Principal::Kind;

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto entry = [](const std::string& name, const std::string& key,
                    const std::string& role, const std::string& scopes,
                    const std::string& service = "") {
      return absl::StrCat(R"({"name":")", name, R"(","sha256":")",
                          Sha256Hex(key), R"(","role":")", role,
                          R"(","organisation":"Org","scopes":[)", scopes,
                          R"(],"service":")", service, R"("})");
    };
    auto set = KeySet::FromJson(absl::StrCat(
        R"({"keys":[)", entry("admin", admin_, "ADMIN", ""), ",",
        entry("agency", agency_, "AGENCY", R"("bookings.read")"), ",",
        entry("svc", service_, "SERVICE", "", "notification"), ",",
        entry("gw", gateway_, "SERVICE", "", "gateway"), "]}"));
    ASSERT_THAT(set, IsOk());
    keys_ = *set;
  }

  static AccessRule Rule(Audience audience, std::string scope = "") {
    AccessRule rule;
    rule.set_audience(audience);
    rule.set_scope(scope);
    return rule;
  }

  // A PUBLIC rule that hands an unknown bearer to the handler.
  static AccessRule PublicWithBearer() {
    AccessRule rule = Rule(training::api::v1::PUBLIC);
    rule.set_accept_unknown_bearer(true);
    return rule;
  }

  // An INTERNAL rule admitting the notification service only.
  static AccessRule ForNotification() {
    AccessRule rule = Rule(training::api::v1::INTERNAL);
    rule.add_callers("notification");
    return rule;
  }

  absl::StatusOr<Principal> Check(const AccessRule& rule,
                                  std::optional<std::string> key) {
    std::optional<std::string> header;
    if (key) header = "Bearer " + *key;
    return Authorize(rule, header, *keys_);
  }

  std::string admin_ = *GenerateKey();
  std::string agency_ = *GenerateKey();
  std::string service_ = *GenerateKey();  // the notification service's
  std::string gateway_ = *GenerateKey();
  std::shared_ptr<const KeySet> keys_;
};

TEST_F(AccessTest, TableOfAudiencesAndCallers) {
  using C = absl::StatusCode;
  const std::optional<std::string> none;
  const std::string token = "Qm8T0pLr2Zk-9aWcYd4EfHgN6sBiU1oXtR7nMqvJ3x_";
  struct Row {
    const char* name;
    AccessRule rule;
    std::optional<std::string> key;
    C expected;
  };
  const Row rows[] = {
      {"public/anonymous", Rule(training::api::v1::PUBLIC), none, C::kOk},
      {"public/agency", Rule(training::api::v1::PUBLIC), agency_, C::kOk},
      {"public/unknown", Rule(training::api::v1::PUBLIC), token,
       C::kUnauthenticated},
      {"public+bearer/anonymous", PublicWithBearer(), none, C::kOk},
      {"public+bearer/unknown", PublicWithBearer(), token, C::kOk},
      {"public+bearer/agency", PublicWithBearer(), agency_, C::kOk},
      {"manage/anonymous", Rule(training::api::v1::MANAGE_TOKEN), none,
       C::kUnauthenticated},
      {"manage/token", Rule(training::api::v1::MANAGE_TOKEN), token, C::kOk},
      {"manage/admin", Rule(training::api::v1::MANAGE_TOKEN), admin_, C::kOk},
      {"manage/agency", Rule(training::api::v1::MANAGE_TOKEN), agency_,
       C::kPermissionDenied},
      {"agency/anonymous", Rule(training::api::v1::AGENCY, "bookings.read"),
       none, C::kUnauthenticated},
      {"agency/with scope", Rule(training::api::v1::AGENCY, "bookings.read"),
       agency_, C::kOk},
      {"agency/without scope", Rule(training::api::v1::AGENCY, "reports.read"),
       agency_, C::kPermissionDenied},
      {"agency/admin", Rule(training::api::v1::AGENCY, "reports.read"), admin_,
       C::kOk},
      {"agency/service", Rule(training::api::v1::AGENCY, "reports.read"),
       service_, C::kPermissionDenied},
      {"admin/agency", Rule(training::api::v1::ADMIN), agency_,
       C::kPermissionDenied},
      {"admin/admin", Rule(training::api::v1::ADMIN), admin_, C::kOk},
      {"admin/unknown", Rule(training::api::v1::ADMIN), token,
       C::kUnauthenticated},
      {"internal/admin", ForNotification(), admin_, C::kPermissionDenied},
      {"internal/named service", ForNotification(), service_, C::kOk},
      {"internal/other service", ForNotification(), gateway_,
       C::kPermissionDenied},
      {"internal/no callers", Rule(training::api::v1::INTERNAL), service_,
       C::kPermissionDenied},
      {"internal/anonymous", ForNotification(), none, C::kUnauthenticated},
      {"undeclared/admin", Rule(training::api::v1::AUDIENCE_UNSPECIFIED),
       admin_, C::kPermissionDenied},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);

    auto result = Check(row.rule, row.key);

    EXPECT_EQ(result.status().code(), row.expected) << result.status();
    if (!result.ok()) {
      EXPECT_TRUE(GetErrorInfo(result.status()).has_value());
    }
  }
}

TEST_F(AccessTest, InternalRpcRefusesTheGatewaysKeyUnlessNamed) {
  AccessRule rule = ForNotification();
  EXPECT_THAT(Check(rule, gateway_),
              StatusIs(absl::StatusCode::kPermissionDenied));

  rule.add_callers("gateway");
  auto gateway = Check(rule, gateway_);

  ASSERT_THAT(gateway, IsOk());
  EXPECT_EQ(gateway->kind, Kind::kService);
  EXPECT_EQ(gateway->service, "gateway");
}

TEST_F(AccessTest, HandsTheHandlerTheCallersIdentity) {
  auto agency =
      Check(Rule(training::api::v1::AGENCY, "bookings.read"), agency_);
  auto holder = Check(Rule(training::api::v1::MANAGE_TOKEN), "tmt_abc");
  auto reader = Check(PublicWithBearer(), "tmt_def");

  ASSERT_THAT(agency, IsOk());
  EXPECT_EQ(agency->kind, Kind::kAgency);
  EXPECT_EQ(agency->key_name, "agency");
  EXPECT_EQ(agency->organisation, "Org");
  ASSERT_THAT(holder, IsOk());
  EXPECT_EQ(holder->kind, Kind::kManageToken);
  EXPECT_EQ(holder->manage_token, "tmt_abc");
  ASSERT_THAT(reader, IsOk());
  EXPECT_EQ(reader->kind, Kind::kManageToken);
  EXPECT_EQ(reader->manage_token, "tmt_def");
}

TEST_F(AccessTest, RejectsMalformedAuthorization) {
  for (const char* header :
       {"Basic abc", "Bearer", "Bearer   ", agency_.c_str()}) {
    SCOPED_TRACE(header);
    EXPECT_THAT(Authorize(Rule(training::api::v1::PUBLIC), header, *keys_),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_THAT(
      Authorize(Rule(training::api::v1::ADMIN), "bearer " + admin_, *keys_),
      IsOk());
}

}  // namespace
}  // namespace training::auth

// Access control, end to end: all four services run as processes with a key
// file; every RPC of every service, found by walking the descriptors, is
// called with no credentials, an agency key without the RPC's scope, an
// agency key with it, an admin key and each service's key, and must answer
// UNAUTHENTICATED / PERMISSION_DENIED / pass the check as its declared rule
// says. Keys added to or removed from the file take effect without a
// restart. Finally the gateway reports ready with every backend serving.

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/auth/api_keys.h"
#include "common/auth/service_names.h"
#include "common/testing/process.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/test_keys.h"
#include "training/api/v1/access.pb.h"
#include "training/booking/v1/booking_service.pb.h"
#include "training/catalogue/v1/catalogue_service.pb.h"
#include "training/content/v1/content_service.pb.h"
#include "training/notification/v1/notification_service.pb.h"

namespace training::testing {
namespace {

using ::testing::HasSubstr;
using training::api::v1::AccessRule;

constexpr absl::Duration kWatchdog = absl::Seconds(60);

// What the test sends as credentials: none, an agency key without or with
// the RPC's scope, an admin key, or the service key of one of the suite's
// services (the internet-facing gateway's among them).
struct Caller {
  enum class Kind {
    kNone,
    kAgencyWithoutScope,
    kAgencyWithScope,
    kAdmin,
    kService
  };
  Kind kind;
  std::string service;  // for kService

  std::string Describe() const {
    switch (kind) {
      case Kind::kNone:
        return "no credentials";
      case Kind::kAgencyWithoutScope:
        return "agency key without the scope";
      case Kind::kAgencyWithScope:
        return "agency key with the scope";
      case Kind::kAdmin:
        return "admin key";
      case Kind::kService:
        return absl::StrCat("the ", service, " service's key");
    }
    return "?";
  }
};

std::vector<Caller> AllCallers() {
  std::vector<Caller> callers = {{Caller::Kind::kNone, ""},
                                 {Caller::Kind::kAgencyWithoutScope, ""},
                                 {Caller::Kind::kAgencyWithScope, ""},
                                 {Caller::Kind::kAdmin, ""}};
  for (absl::string_view service : auth::kServiceNames) {
    callers.push_back({Caller::Kind::kService, std::string(service)});
  }
  return callers;
}

enum class Outcome { kPasses, kUnauthenticated, kPermissionDenied };

// The declared rule, as a table: what each caller must get.
Outcome Expected(const AccessRule& rule, const Caller& caller) {
  using Kind = Caller::Kind;
  if (rule.audience() == training::api::v1::PUBLIC) return Outcome::kPasses;
  if (caller.kind == Kind::kNone) return Outcome::kUnauthenticated;
  switch (rule.audience()) {
    case training::api::v1::MANAGE_TOKEN:
    case training::api::v1::ADMIN:
      return caller.kind == Kind::kAdmin ? Outcome::kPasses
                                         : Outcome::kPermissionDenied;
    case training::api::v1::AGENCY:
      return caller.kind == Kind::kAdmin ||
                     caller.kind == Kind::kAgencyWithScope
                 ? Outcome::kPasses
                 : Outcome::kPermissionDenied;
    case training::api::v1::INTERNAL:
      return caller.kind == Kind::kService &&
                     std::find(rule.callers().begin(), rule.callers().end(),
                               caller.service) != rule.callers().end()
                 ? Outcome::kPasses
                 : Outcome::kPermissionDenied;
    default:
      return Outcome::kPermissionDenied;
  }
}

struct Running {
  std::string name;
  const google::protobuf::ServiceDescriptor* service;
  std::unique_ptr<ChildProcess> process;
  std::shared_ptr<grpc::Channel> channel;
  int port = 0;
};

class AccessProcessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeTempDir("access"));
    std::set<std::string> scopes;
    for (const auto* service : Services()) {
      for (int i = 0; i < service->method_count(); ++i) {
        const auto& rule = service->method(i)->options().GetExtension(
            training::api::v1::access);
        if (!rule.scope().empty()) scopes.insert(rule.scope());
      }
    }
    all_scopes_ = new std::vector<std::string>(scopes.begin(), scopes.end());
    WriteKeys(/*with_late_key=*/false);
    servers_ = new std::vector<Running>();
    const std::pair<const char*, const char*> binaries[] = {
        {"catalogue", CATALOGUE_BINARY},
        {"booking", BOOKING_BINARY},
        {"notification", NOTIFICATION_BINARY},
        {"content", CONTENT_BINARY}};
    for (size_t i = 0; i < 4; ++i) {
      Running r;
      r.name = binaries[i].first;
      r.service = Services()[i];
      const std::string port_file = absl::StrCat(*dir_, "/", r.name, ".port");
      r.process = std::make_unique<ChildProcess>(
          binaries[i].second,
          std::vector<std::string>{
              "--port=0", "--metrics_port=0", "--port_file=" + port_file,
              "--shutdown_grace=0s", "--api_keys_reload_interval=0.1s",
              "--data_dir=" + *dir_, "--redis_url=redis://127.0.0.1:1"},
          std::map<std::string, std::string>{
              {"TRAINING_API_KEYS_FILE", *dir_ + "/keys.json"}},
          absl::StrCat(*dir_, "/", r.name, ".log"));
      auto port = WaitForPortFile(port_file, kWatchdog);
      ASSERT_TRUE(port.has_value()) << r.process->Log();
      r.port = *port;
      r.channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port),
                                      grpc::InsecureChannelCredentials());
      servers_->push_back(std::move(r));
    }
  }

  static void TearDownTestSuite() {
    for (auto& r : *servers_) {
      r.process->Signal(SIGTERM);
      EXPECT_EQ(r.process->Wait(kWatchdog), std::optional<int>(0))
          << r.process->Log();
    }
    delete servers_;
    delete all_scopes_;
    delete dir_;
  }

  static std::vector<const google::protobuf::ServiceDescriptor*> Services() {
    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    return {
        pool->FindServiceByName("training.catalogue.v1.CatalogueService"),
        pool->FindServiceByName("training.booking.v1.BookingService"),
        pool->FindServiceByName("training.notification.v1.NotificationService"),
        pool->FindServiceByName("training.content.v1.ContentService")};
  }

  static void WriteKeys(bool with_late_key) {
    std::vector<std::string> entries = {
        KeyEntry("admin", kAdminKey, "ADMIN", {}),
        KeyEntry("agency-none", kAgencyNoScopeKey, "AGENCY", {}),
        KeyEntry("agency-all", kAgencyAllScopesKey, "AGENCY", *all_scopes_)};
    for (absl::string_view service : auth::kServiceNames) {
      entries.push_back(ServiceKeyEntry(absl::StrCat("svc-", service),
                                        ServiceKey(service),
                                        std::string(service)));
    }
    if (with_late_key) {
      entries.push_back(KeyEntry("late-admin", kLateKey, "ADMIN", {}));
    }
    const std::string path = *dir_ + "/keys.json";
    std::ofstream(path + ".tmp", std::ios::trunc) << KeyFile(entries);
    std::filesystem::rename(path + ".tmp", path);
  }

  static grpc::StatusCode Call(const Running& server, const std::string& method,
                               const std::string& key) {
    grpc::GenericStub stub(server.channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kWatchdog));
    if (!key.empty()) context.AddMetadata("authorization", "Bearer " + key);
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    grpc::CompletionQueue cq;
    auto call = stub.PrepareUnaryCall(&context, method, request, &cq);
    call->StartCall();
    grpc::Status status;
    call->Finish(&response, &status, reinterpret_cast<void*>(1));
    void* tag;
    bool ok;
    cq.Next(&tag, &ok);
    return status.error_code();
  }

  // A distinct key per service, 47 characters like real keys.
  static std::string ServiceKey(absl::string_view service) {
    std::string key = absl::StrCat("trk_test-service-", service, "-");
    key.resize(47, '0');
    return key;
  }

  static std::string KeyFor(const Caller& caller) {
    switch (caller.kind) {
      case Caller::Kind::kNone:
        return "";
      case Caller::Kind::kAgencyWithoutScope:
        return kAgencyNoScopeKey;
      case Caller::Kind::kAgencyWithScope:
        return kAgencyAllScopesKey;
      case Caller::Kind::kAdmin:
        return kAdminKey;
      case Caller::Kind::kService:
        return ServiceKey(caller.service);
    }
    return "";
  }

  static inline const std::string kAdminKey =
      "trk_test-admin-key-0000000000000000000000000";
  static inline const std::string kAgencyNoScopeKey =
      "trk_test-agency-none-00000000000000000000000";
  static inline const std::string kAgencyAllScopesKey =
      "trk_test-agency-all-000000000000000000000000";
  static inline const std::string kLateKey =
      "trk_test-late-key-0000000000000000000000000000";

  static std::string* dir_;
  static std::vector<std::string>* all_scopes_;
  static std::vector<Running>* servers_;
};

std::string* AccessProcessTest::dir_ = nullptr;
std::vector<std::string>* AccessProcessTest::all_scopes_ = nullptr;
std::vector<Running>* AccessProcessTest::servers_ = nullptr;

TEST_F(AccessProcessTest, EveryRpcEnforcesItsDeclaredAccess) {
  int checked = 0;
  for (const Running& server : *servers_) {
    for (int i = 0; i < server.service->method_count(); ++i) {
      const auto* method = server.service->method(i);
      const AccessRule& rule =
          method->options().GetExtension(training::api::v1::access);
      const std::string path =
          absl::StrCat("/", server.service->full_name(), "/", method->name());
      for (const Caller& caller : AllCallers()) {
        SCOPED_TRACE(absl::StrCat(path, " with ", caller.Describe()));

        grpc::StatusCode code = Call(server, path, KeyFor(caller));

        switch (Expected(rule, caller)) {
          case Outcome::kUnauthenticated:
            EXPECT_EQ(code, grpc::StatusCode::UNAUTHENTICATED);
            break;
          case Outcome::kPermissionDenied:
            EXPECT_EQ(code, grpc::StatusCode::PERMISSION_DENIED);
            break;
          case Outcome::kPasses:
            EXPECT_NE(code, grpc::StatusCode::UNAUTHENTICATED);
            EXPECT_NE(code, grpc::StatusCode::PERMISSION_DENIED);
            break;
        }
        ++checked;
      }
    }
  }
  // Every service has RPCs, and every RPC was tried with nine callers.
  EXPECT_GT(checked, 9 * 40);
}

TEST_F(AccessProcessTest, KeysAddedOrRemovedTakeEffectWithoutARestart) {
  const Running& catalogue = servers_->front();
  const std::string admin_only =
      "/training.catalogue.v1.CatalogueService/CreateCourse";
  ASSERT_EQ(Call(catalogue, admin_only, kLateKey),
            grpc::StatusCode::UNAUTHENTICATED);

  WriteKeys(/*with_late_key=*/true);
  grpc::StatusCode code = grpc::StatusCode::UNAUTHENTICATED;
  for (absl::Time end = absl::Now() + kWatchdog;
       code == grpc::StatusCode::UNAUTHENTICATED && absl::Now() < end;) {
    absl::SleepFor(absl::Milliseconds(50));
    code = Call(catalogue, admin_only, kLateKey);
  }
  // Past the access check, the empty request fails validation.
  EXPECT_EQ(code, grpc::StatusCode::INVALID_ARGUMENT);

  WriteKeys(/*with_late_key=*/false);
  for (absl::Time end = absl::Now() + kWatchdog;
       code != grpc::StatusCode::UNAUTHENTICATED && absl::Now() < end;) {
    absl::SleepFor(absl::Milliseconds(50));
    code = Call(catalogue, admin_only, kLateKey);
  }
  EXPECT_EQ(code, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call(catalogue, admin_only, kAdminKey),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AccessProcessTest, GatewayIsReadyWhenEveryBackendServes) {
  std::map<std::string, int> ports;
  for (const Running& r : *servers_) ports[r.name] = r.port;
  ChildProcess gateway(
      GATEWAY_BINARY,
      {"--http_port=0", "--metrics_port=0", "--port_file=" + *dir_ + "/gw.port",
       "--readiness_interval=0.1s", "--shutdown_grace=0s",
       absl::StrCat("--catalogue_address=127.0.0.1:", ports["catalogue"]),
       absl::StrCat("--booking_address=127.0.0.1:", ports["booking"]),
       absl::StrCat("--notification_address=127.0.0.1:", ports["notification"]),
       absl::StrCat("--content_address=127.0.0.1:", ports["content"])},
      {}, *dir_ + "/gateway.log");
  auto port = WaitForPortFile(*dir_ + "/gw.port", kWatchdog);
  ASSERT_TRUE(port.has_value()) << gateway.Log();

  auto readyz = HttpGet(*port, "/readyz");

  ASSERT_TRUE(readyz.has_value());
  EXPECT_THAT(*readyz, HasSubstr("200 OK"));
  EXPECT_THAT(*readyz, HasSubstr("\"status\":\"ready\""));
  gateway.Signal(SIGTERM);
  EXPECT_EQ(gateway.Wait(kWatchdog), std::optional<int>(0));
}

TEST_F(AccessProcessTest, NoKeyOrTokenReachesAServiceLog) {
  // Shaped as the service issues them: 43 URL-safe base64 characters.
  const std::string manage_token =
      "Qm8T0pLr2Zk-9aWcYd4EfHgN6sBiU1oXtR7nMqvJ3x_";
  for (const Running& r : *servers_) {
    const std::string any_method = absl::StrCat(
        "/", r.service->full_name(), "/", r.service->method(0)->name());
    for (const std::string& key :
         {kAdminKey, kAgencyNoScopeKey, ServiceKey("gateway"), kLateKey,
          manage_token}) {
      Call(r, any_method, key);
    }
  }
  for (const Running& r : *servers_) {
    const std::string log = r.process->Log();
    SCOPED_TRACE(r.name);
    EXPECT_THAT(log, HasSubstr("\"msg\":\"rpc\""));
    for (const std::string& key :
         {kAdminKey, kAgencyNoScopeKey, kAgencyAllScopesKey,
          ServiceKey("gateway"), kLateKey, manage_token}) {
      EXPECT_THAT(log, ::testing::Not(HasSubstr(key)));
    }
  }
}

}  // namespace
}  // namespace training::testing

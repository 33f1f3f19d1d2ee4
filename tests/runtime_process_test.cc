// The service runtime, tested through real processes: health, reflection,
// request ids in logs, metrics, graceful shutdown and flag errors.

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/testing/process.h"
#include "gmock/gmock.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "health/v1/health.grpc.pb.h"
#include "training/catalogue/v1/catalogue_service.grpc.pb.h"
#include "training/testing/v1/hold.grpc.pb.h"

namespace training::testing {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

// A generous watchdog: proves there is no hang, asserts no duration.
constexpr absl::Duration kWatchdog = absl::Seconds(60);

struct Server {
  std::string dir;
  std::unique_ptr<ChildProcess> process;
  int port = 0;
  int metrics_port = 0;
  std::shared_ptr<grpc::Channel> channel;
};

Server Start(const std::string& binary, const std::string& name,
             std::vector<std::string> extra_args = {}) {
  Server s;
  s.dir = MakeTempDir(name);
  std::vector<std::string> args = {
      "--port=0", "--metrics_port=0", "--port_file=" + s.dir + "/port",
      "--metrics_port_file=" + s.dir + "/metrics_port", "--shutdown_grace=0s",
      // Nothing listens on port 1: the outbox relay keeps retrying quietly.
      "--data_dir=" + s.dir, "--redis_url=redis://127.0.0.1:1"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  s.process = std::make_unique<ChildProcess>(
      binary, args, std::map<std::string, std::string>{}, s.dir + "/log");
  auto port = WaitForPortFile(s.dir + "/port", kWatchdog);
  auto metrics_port = WaitForPortFile(s.dir + "/metrics_port", kWatchdog);
  EXPECT_TRUE(port.has_value()) << s.process->Log();
  EXPECT_TRUE(metrics_port.has_value()) << s.process->Log();
  s.port = port.value_or(0);
  s.metrics_port = metrics_port.value_or(0);
  s.channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", s.port),
                                  grpc::InsecureChannelCredentials());
  return s;
}

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + kWatchdog));
}

TEST(RuntimeProcessTest, ReportsServingForTheServerAndItsService) {
  Server server = Start(CATALOGUE_BINARY, "health");
  auto stub = Health::NewStub(server.channel);

  for (const char* service : {"", "training.catalogue.v1.CatalogueService"}) {
    SCOPED_TRACE(service);
    grpc::ClientContext context;
    SetDeadline(&context);
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;

    grpc::Status status = stub->Check(&context, request, &response);

    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  }
}

TEST(RuntimeProcessTest, ReflectionListsTheService) {
  Server server = Start(CATALOGUE_BINARY, "reflection");
  auto stub =
      grpc::reflection::v1alpha::ServerReflection::NewStub(server.channel);
  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = stub->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");

  ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> names;
  for (const auto& s : response.list_services_response().service()) {
    names.push_back(s.name());
  }

  EXPECT_THAT(names,
              ::testing::Contains("training.catalogue.v1.CatalogueService"));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST(RuntimeProcessTest, RequestIdComesBackAndIsLoggedAndTheCallIsCounted) {
  Server server = Start(CATALOGUE_BINARY, "request-id");
  auto stub =
      training::catalogue::v1::CatalogueService::NewStub(server.channel);
  grpc::ClientContext context;
  SetDeadline(&context);
  context.AddMetadata("x-request-id", "it-req-777");
  context.AddMetadata(
      "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  training::catalogue::v1::GetCourseRequest request;
  request.set_name("courses/intro-mi");
  training::catalogue::v1::Course course;

  grpc::Status status = stub->GetCourse(&context, request, &course);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  auto echoed = context.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(echoed, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(echoed->second.data(), echoed->second.size()),
            "it-req-777");
  const std::string log = server.process->Log();
  EXPECT_THAT(log, HasSubstr("\"request_id\":\"it-req-777\""));
  EXPECT_THAT(log,
              HasSubstr("\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\""));
  EXPECT_THAT(log, HasSubstr("\"method\":\"/training.catalogue.v1."
                             "CatalogueService/GetCourse\""));
  auto metrics = HttpGet(server.metrics_port, "/metrics");
  ASSERT_TRUE(metrics.has_value());
  // prometheus-cpp writes labels in name order.
  EXPECT_THAT(*metrics,
              HasSubstr("grpc_server_handled_total{grpc_code=\"NOT_FOUND\","
                        "grpc_method=\"GetCourse\",grpc_service=\"training."
                        "catalogue.v1.CatalogueService\"} 1\n"));
  EXPECT_THAT(*metrics,
              HasSubstr("grpc_server_handling_seconds_count{grpc_method="
                        "\"GetCourse\",grpc_service=\"training.catalogue.v1."
                        "CatalogueService\"} 1\n"));
  EXPECT_THAT(*metrics, HasSubstr("process_resident_memory_bytes "));
}

TEST(RuntimeProcessTest, SigtermDrainsInFlightCallsAfterReportingNotServing) {
  Server server =
      Start(RUNTIME_TEST_SERVER_BINARY, "sigterm", {"--shutdown_grace=1s"});
  auto health = Health::NewStub(server.channel);
  auto hold = training::testing::v1::HoldService::NewStub(server.channel);

  // A Watch stream opened before the signal.
  grpc::ClientContext watch_context;
  SetDeadline(&watch_context);
  HealthCheckRequest watch_request;
  auto watch = health->Watch(&watch_context, watch_request);
  HealthCheckResponse first;
  ASSERT_TRUE(watch->Read(&first));
  ASSERT_EQ(first.status(), HealthCheckResponse::SERVING);
  std::atomic<bool> saw_not_serving{false};
  std::thread watcher([&] {
    HealthCheckResponse update;
    while (watch->Read(&update)) {
      if (update.status() == HealthCheckResponse::NOT_SERVING) {
        saw_not_serving = true;
        break;
      }
    }
  });

  // A call in flight when the signal arrives.
  const std::string started = server.dir + "/hold_started";
  grpc::Status hold_status;
  training::testing::v1::HoldResponse hold_response;
  std::thread caller([&] {
    grpc::ClientContext context;
    SetDeadline(&context);
    training::testing::v1::HoldRequest request;
    request.set_hold_ms(1500);
    request.set_started_file(started);
    hold_status = hold->Hold(&context, request, &hold_response);
  });
  const absl::Time give_up = absl::Now() + kWatchdog;
  while (!std::filesystem::exists(started) && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(std::filesystem::exists(started)) << server.process->Log();

  server.process->Signal(SIGTERM);
  watcher.join();
  caller.join();
  std::optional<int> exit_code = server.process->Wait(kWatchdog);

  EXPECT_TRUE(saw_not_serving);
  EXPECT_TRUE(hold_status.ok()) << hold_status.error_message();
  EXPECT_EQ(hold_response.held_ms(), 1500);
  ASSERT_TRUE(exit_code.has_value()) << server.process->Log();
  EXPECT_EQ(*exit_code, 0) << server.process->Log();
  EXPECT_THAT(server.process->Log(),
              HasSubstr("\"msg\":\"shutdown.complete\""));
  watch_context.TryCancel();
}

TEST(RuntimeProcessTest, BadFlagOrEnvironmentValueExitsTwoNamingIt) {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string named;
  };
  const Case cases[] = {
      {{"--port=abc"}, {}, "--port"},
      {{"--port=70000"}, {}, "--port (TRAINING_PORT)"},
      {{"--no_such_flag=1"}, {}, "--no_such_flag"},
      {{}, {{"TRAINING_PORT", "not-a-port"}}, "TRAINING_PORT"},
      {{}, {{"TRAINING_SHUTDOWN_GRACE", "-1s"}}, "--shutdown_grace"},
      {{"--log_level=loud"}, {}, "--log_level"},
      {{"--api_keys_file=/nonexistent/keys.json"},
       {},
       "TRAINING_API_KEYS_FILE"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.named);
    const std::string dir = MakeTempDir("badflag");
    std::vector<std::string> args = c.args;
    args.push_back("--data_dir=" + dir);  // never the host's default
    ChildProcess process(CATALOGUE_BINARY, args, c.env, dir + "/log");

    std::optional<int> exit_code = process.Wait(kWatchdog);

    ASSERT_TRUE(exit_code.has_value());
    EXPECT_EQ(*exit_code, 2);
    EXPECT_THAT(process.Log(), HasSubstr(c.named));
  }
}

// Ready while any backend serves (the others' routes still work), with
// each backend's state in the body; not ready when none does.
TEST(RuntimeProcessTest, GatewayIsReadyWhileAnyBackendServes) {
  Server catalogue = Start(CATALOGUE_BINARY, "gw-catalogue");
  const std::string dir = MakeTempDir("gateway");
  const std::string dead = "127.0.0.1:1";  // nothing listens there
  ChildProcess gateway(
      GATEWAY_BINARY,
      {"--http_port=0", "--metrics_port=0", "--port_file=" + dir + "/port",
       "--readiness_interval=0.1s", "--shutdown_grace=0s",
       "--catalogue_address=127.0.0.1:" + std::to_string(catalogue.port),
       "--booking_address=" + dead, "--notification_address=" + dead,
       "--content_address=" + dead},
      {}, dir + "/log");
  auto port = WaitForPortFile(dir + "/port", kWatchdog);
  ASSERT_TRUE(port.has_value()) << gateway.Log();

  auto healthz = HttpGet(*port, "/healthz");
  auto readyz = HttpGet(*port, "/readyz");
  auto unknown = HttpGet(*port, "/v1/nope");
  auto page = HttpGet(*port, "/nope");

  ASSERT_TRUE(healthz.has_value());
  EXPECT_THAT(*healthz, HasSubstr("200 OK"));
  ASSERT_TRUE(readyz.has_value());
  EXPECT_THAT(*readyz, HasSubstr("200 OK"));
  EXPECT_THAT(*readyz, HasSubstr("\"catalogue\":\"SERVING\""));
  EXPECT_THAT(*readyz, HasSubstr("\"booking\":\"NOT_SERVING\""));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_THAT(*unknown, HasSubstr("404"));
  EXPECT_THAT(*unknown, HasSubstr("\"status\":\"NOT_FOUND\""));
  // Outside the API, the public pages' own 404 page.
  ASSERT_TRUE(page.has_value());
  EXPECT_THAT(*page, HasSubstr("404"));
  EXPECT_THAT(*page, HasSubstr("Page not found"));
  // The catalogue gone too: nothing serves, so not ready.
  catalogue.process->Signal(SIGKILL);
  std::optional<std::string> none_serving;
  for (absl::Time end = absl::Now() + kWatchdog; absl::Now() < end;) {
    none_serving = HttpGet(*port, "/readyz");
    if (none_serving.has_value() && absl::StrContains(*none_serving, "503")) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(none_serving.has_value());
  EXPECT_THAT(*none_serving, HasSubstr("503"));
  EXPECT_THAT(*none_serving, HasSubstr("\"catalogue\":\"NOT_SERVING\""));
  gateway.Signal(SIGTERM);
  EXPECT_EQ(gateway.Wait(kWatchdog), std::optional<int>(0)) << gateway.Log();
}

}  // namespace
}  // namespace training::testing

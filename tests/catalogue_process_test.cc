// The catalogue binary, end to end over gRPC: writes are for admins only,
// anonymous callers read published items only, the joining link is for
// services only, bad input comes back as google.rpc.BadRequest details, and
// changes reach the Redis stream through the process's own outbox relay.

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/redis/redis_client.h"
#include "common/redis/testing_redis_server.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "common/testing/process.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/test_keys.h"
#include "training/catalogue/v1/catalogue_service.grpc.pb.h"

namespace training::testing {
namespace {

using ::testing::ElementsAre;
using training::catalogue::v1::CatalogueService;
namespace v1 = training::catalogue::v1;

constexpr absl::Duration kWatchdog = absl::Seconds(60);
const std::string kAdminKey = "trk_admin_catalogue_process_test_0001";
const std::string kAgencyKey = "trk_agency_catalogue_process_test_001";
const std::string kServiceKey = "trk_service_catalogue_process_test_01";
const std::string kNotificationKey = "trk_notification_catalogue_process_01";

class CatalogueProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    dir_ = MakeTempDir("catalogue-process");
    std::ofstream(dir_ + "/keys.json") << KeyFile(
        {KeyEntry("admin", kAdminKey, "ADMIN", {}),
         KeyEntry("agency", kAgencyKey, "AGENCY",
                  {"bookings.read", "reports.read"}),
         ServiceKeyEntry("booking", kServiceKey, "booking"),
         ServiceKeyEntry("notification", kNotificationKey, "notification")});
    process_ = std::make_unique<ChildProcess>(
        CATALOGUE_BINARY,
        std::vector<std::string>{"--port=0", "--metrics_port=0",
                                 "--port_file=" + dir_ + "/port",
                                 "--shutdown_grace=0s", "--data_dir=" + dir_,
                                 "--api_keys_file=" + dir_ + "/keys.json",
                                 "--redis_url=" + redis_.url()},
        std::map<std::string, std::string>{}, dir_ + "/log");
    auto port = WaitForPortFile(dir_ + "/port", kWatchdog);
    ASSERT_TRUE(port.has_value()) << process_->Log();
    address_ = absl::StrCat("127.0.0.1:", *port);
    stub_ = CatalogueService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials()));
  }

  // A context with a watchdog deadline and, when given, a bearer key.
  static std::unique_ptr<grpc::ClientContext> As(const std::string& key) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + kWatchdog));
    if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
    return context;
  }

  grpc::StatusCode CreateCourseAs(const std::string& key, const std::string& id,
                                  v1::Course* out = nullptr) {
    v1::CreateCourseRequest request;
    request.set_course_id(id);
    request.mutable_course()->set_title(
        "Introduction to Motivational "
        "Interviewing");
    request.mutable_course()->mutable_duration()->set_seconds(3 * 3600);
    request.mutable_course()->set_level(v1::Course::INTRODUCTORY);
    request.mutable_course()->add_eligible_agency_types(
        training::type::v1::EARLY_HELP);
    v1::Course course;
    grpc::Status status = stub_->CreateCourse(As(key).get(), request, &course);
    if (out != nullptr) *out = course;
    return status.error_code();
  }

  grpc::StatusCode GetCourseAs(const std::string& key,
                               const std::string& name) {
    v1::GetCourseRequest request;
    request.set_name(name);
    v1::Course course;
    return stub_->GetCourse(As(key).get(), request, &course).error_code();
  }

  v1::CreateSessionRequest OnlineSession(int capacity) {
    v1::CreateSessionRequest request;
    request.set_parent("courses/intro-mi");
    auto* s = request.mutable_session();
    const absl::Time start = absl::Now() + absl::Hours(24 * 20);
    s->mutable_start_time()->set_seconds(absl::ToUnixSeconds(start));
    s->mutable_end_time()->set_seconds(
        absl::ToUnixSeconds(start + absl::Hours(3)));
    s->set_delivery_mode(v1::ONLINE);
    s->set_capacity(capacity);
    request.mutable_joining_details()->set_joining_url(
        "https://meet.example.org/intro-mi");
    return request;
  }

  redis::testing::RedisServer redis_;
  std::string dir_;
  std::string address_;
  std::unique_ptr<ChildProcess> process_;
  std::unique_ptr<CatalogueService::Stub> stub_;
};

TEST_F(CatalogueProcessTest, WritesAreForAdminsAndDraftsForAdminEyesOnly) {
  EXPECT_EQ(CreateCourseAs("", "intro-mi"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CreateCourseAs(kAgencyKey, "intro-mi"),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateCourseAs(kServiceKey, "intro-mi"),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(CreateCourseAs(kAdminKey, "intro-mi"), grpc::StatusCode::OK);

  EXPECT_EQ(GetCourseAs("", "courses/intro-mi"), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetCourseAs(kAgencyKey, "courses/intro-mi"),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetCourseAs(kAdminKey, "courses/intro-mi"), grpc::StatusCode::OK);

  v1::PublishCourseRequest publish;
  publish.set_name("courses/intro-mi");
  v1::Course published;
  ASSERT_TRUE(
      stub_->PublishCourse(As(kAdminKey).get(), publish, &published).ok());
  EXPECT_EQ(GetCourseAs("", "courses/intro-mi"), grpc::StatusCode::OK);

  v1::Session session;
  ASSERT_TRUE(
      stub_->CreateSession(As(kAdminKey).get(), OnlineSession(20), &session)
          .ok());
  v1::ListSessionsRequest list;
  list.set_parent("courses/-");
  v1::ListSessionsResponse listed;
  ASSERT_TRUE(stub_->ListSessions(As("").get(), list, &listed).ok());
  ASSERT_EQ(listed.sessions_size(), 1);
  EXPECT_EQ(listed.sessions(0).name(), session.name());
  EXPECT_TRUE(listed.sessions(0).has_joining_details());

  v1::GetSessionJoiningDetailsRequest joining;
  joining.set_name(session.name());
  v1::JoiningDetails details;
  EXPECT_EQ(stub_->GetSessionJoiningDetails(As("").get(), joining, &details)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      stub_->GetSessionJoiningDetails(As(kAdminKey).get(), joining, &details)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // Only the service the rule names: booking's key is refused.
  EXPECT_EQ(
      stub_->GetSessionJoiningDetails(As(kServiceKey).get(), joining, &details)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_
                  ->GetSessionJoiningDetails(As(kNotificationKey).get(),
                                             joining, &details)
                  .ok());
  EXPECT_EQ(details.joining_url(), "https://meet.example.org/intro-mi");
}

TEST_F(CatalogueProcessTest, BadInputComesBackAsBadRequestFieldViolations) {
  ASSERT_EQ(CreateCourseAs(kAdminKey, "intro-mi"), grpc::StatusCode::OK);
  v1::Session session;

  grpc::Status status =
      stub_->CreateSession(As(kAdminKey).get(), OnlineSession(0), &session);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> fields;
  for (const auto& v : GetFieldViolations(FromGrpcStatus(status))) {
    fields.push_back(v.field);
  }
  EXPECT_THAT(fields, ElementsAre("session.capacity"));
  v1::ListSessionsRequest list;
  list.set_parent("courses/-");
  v1::ListSessionsResponse listed;
  ASSERT_TRUE(stub_->ListSessions(As(kAdminKey).get(), list, &listed).ok());
  EXPECT_EQ(listed.sessions_size(), 0);
}

TEST_F(CatalogueProcessTest, ChangesReachTheStreamThroughTheRelay) {
  ASSERT_EQ(CreateCourseAs(kAdminKey, "intro-mi"), grpc::StatusCode::OK);
  v1::PublishCourseRequest publish;
  publish.set_name("courses/intro-mi");
  v1::Course published;
  ASSERT_TRUE(
      stub_->PublishCourse(As(kAdminKey).get(), publish, &published).ok());
  auto redis = redis::RedisClient::Create(redis_.url());
  ASSERT_TRUE(redis.ok());

  int64_t length = 0;
  for (absl::Time end = absl::Now() + kWatchdog;
       length == 0 && absl::Now() < end;) {
    auto reply = (*redis)->Command({"XLEN", "training.events.catalogue"});
    length = reply.ok() ? reply->integer : 0;
    if (length == 0) absl::SleepFor(absl::Milliseconds(20));
  }

  EXPECT_EQ(length, 1);
  auto entries =
      (*redis)->Command({"XRANGE", "training.events.catalogue", "-", "+"});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->elements.size(), 1u);
  const auto& fields = entries->elements[0].elements.at(1).elements;
  std::string type;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i].str == "type") type = fields[i + 1].str;
  }
  EXPECT_EQ(type, "training.events.v1.CoursePublished");
}

TEST_F(CatalogueProcessTest, DemoProgrammeLoadsOnceHoweverOftenItRuns) {
  auto count_sessions = [&] {
    v1::ListSessionsRequest list;
    list.set_parent("courses/-");
    list.set_page_size(200);
    v1::ListSessionsResponse listed;
    EXPECT_TRUE(stub_->ListSessions(As("").get(), list, &listed).ok());
    return listed.sessions_size();
  };
  auto run_demo = [&](const std::string& log) {
    ChildProcess demo(CATALOGUE_DEMO_BINARY, {"--address=" + address_},
                      {{"TRAINING_KEY", kAdminKey}}, dir_ + "/" + log);
    std::optional<int> exit_code = demo.Wait(kWatchdog);
    EXPECT_EQ(exit_code, 0) << demo.Log();
    return demo.Log();
  };

  const std::string first = run_demo("demo1.log");
  const int after_first = count_sessions();
  const std::string second = run_demo("demo2.log");

  EXPECT_GE(after_first, 20);
  EXPECT_EQ(count_sessions(), after_first);
  EXPECT_THAT(first, ::testing::HasSubstr("created 4 venues, 3 trainers, 4 "
                                          "courses"));
  EXPECT_THAT(second, ::testing::HasSubstr("created 0 venues, 0 trainers, 0 "
                                           "courses, 0 sessions"));
  v1::ListCoursesRequest courses;
  v1::ListCoursesResponse listed;
  ASSERT_TRUE(stub_->ListCourses(As("").get(), courses, &listed).ok());
  EXPECT_EQ(listed.courses_size(), 4);
}

}  // namespace
}  // namespace training::testing

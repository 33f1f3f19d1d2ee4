#include "services/booking/catalogue_directory.h"

#include <memory>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace training::booking {
namespace {

namespace catalogue = training::catalogue::v1;
using ::training::testing::IsOk;

// A catalogue that answers every look-up and remembers the deadline each
// call arrived with.
class RecordingCatalogue final : public catalogue::CatalogueService::Service {
 public:
  grpc::Status GetSession(grpc::ServerContext* context,
                          const catalogue::GetSessionRequest* request,
                          catalogue::Session* session) override {
    Record(context);
    session->set_name(request->name());
    session->set_state(catalogue::Session::SCHEDULED);
    session->set_capacity(5);
    // A real session has its times (booking checks what it is told).
    session->mutable_start_time()->set_seconds(1893456000);  // 2030-01-01
    session->mutable_end_time()->set_seconds(1893456000 + 3 * 3600);
    return grpc::Status::OK;
  }
  grpc::Status GetCourse(grpc::ServerContext* context,
                         const catalogue::GetCourseRequest* request,
                         catalogue::Course* course) override {
    Record(context);
    course->set_name(request->name());
    course->set_state(catalogue::Course::PUBLISHED);
    return grpc::Status::OK;
  }

  std::vector<absl::Time> deadlines() {
    absl::MutexLock lock(&mu_);
    return deadlines_;
  }

 private:
  void Record(grpc::ServerContext* context) {
    absl::MutexLock lock(&mu_);
    deadlines_.push_back(absl::FromChrono(context->deadline()));
  }

  absl::Mutex mu_;
  std::vector<absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
};

class CatalogueDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&catalogue_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    directory_ = std::make_unique<CatalogueDirectory>(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                            grpc::InsecureChannelCredentials()),
        "trk_service_test", absl::Seconds(60));
  }
  void TearDown() override { server_->Shutdown(); }

  RecordingCatalogue catalogue_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<CatalogueDirectory> directory_;
};

// The configured timeout is 60 s. A caller who will wait 3 s more passes
// that on: both calls arrive with deadlines well inside 60 s. (The bound
// checked, 30 s, is far from both figures, so a slow machine cannot flip
// it.)
TEST_F(CatalogueDirectoryTest, CallsTakeTheCallersDeadlineWhenItComesFirst) {
  Caller hurried;
  hurried.deadline = absl::Now() + absl::Seconds(3);
  Caller patient;
  const absl::Time asked = absl::Now();

  ASSERT_THAT(directory_->Lookup("courses/c/sessions/s1", hurried), IsOk());
  ASSERT_THAT(directory_->Lookup("courses/c/sessions/s2", patient), IsOk());

  const std::vector<absl::Time> deadlines = catalogue_.deadlines();
  ASSERT_EQ(deadlines.size(), 4u);
  EXPECT_LT(deadlines[0], asked + absl::Seconds(30)) << "GetSession";
  EXPECT_LT(deadlines[1], asked + absl::Seconds(30)) << "GetCourse";
  EXPECT_GT(deadlines[2], asked + absl::Seconds(30)) << "its own timeout";
  EXPECT_GT(deadlines[3], asked + absl::Seconds(30));
}

}  // namespace
}  // namespace training::booking

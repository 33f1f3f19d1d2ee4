// training_catalogue_demo: loads the demo programme (demo_programme.h) into
// a running catalogue through its public API, as an admin (TRAINING_KEY).
// Idempotent: venues, trainers and courses that exist are left as they are,
// courses are published, and a session is added only when its course has
// none starting at the same instant. `./dev up` runs it; tests do not.

#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config/flags.h"
#include "common/runtime/tls.h"
#include "grpcpp/grpcpp.h"
#include "services/catalogue/demo_programme.h"
#include "training/catalogue/v1/catalogue_service.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:7051",
          "The catalogue's gRPC address.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of each call.");

namespace training::catalogue {
namespace {

using v1::CatalogueService;

class Loader {
 public:
  Loader(std::unique_ptr<CatalogueService::Stub> stub, std::string key)
      : stub_(std::move(stub)), key_(std::move(key)) {}

  // Runs `call` with the admin key; ALREADY_EXISTS counts as done. Returns
  // whether something was created.
  template <typename Call>
  bool Create(const char* what, Call call) {
    grpc::ClientContext context;
    Prepare(context);
    grpc::Status status = call(context);
    if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) return false;
    Check(status, what);
    return true;
  }

  void Prepare(grpc::ClientContext& context) {
    context.set_deadline(
        absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));
    context.AddMetadata("authorization", "Bearer " + key_);
  }

  static void Check(const grpc::Status& status, const char* what) {
    if (status.ok()) return;
    std::cerr << "training_catalogue_demo: " << what << ": "
              << status.error_message() << " (code " << status.error_code()
              << ")\n";
    std::exit(1);
  }

  // Start instants (Unix seconds) of every session the course has.
  std::set<int64_t> ExistingStarts(const std::string& course) {
    std::set<int64_t> starts;
    v1::ListSessionsRequest request;
    request.set_parent(course);
    request.set_show_inactive(true);
    request.set_page_size(200);
    request.mutable_earliest_start_time()->set_seconds(1);
    do {
      grpc::ClientContext context;
      Prepare(context);
      v1::ListSessionsResponse response;
      Check(stub_->ListSessions(&context, request, &response), "list sessions");
      for (const auto& s : response.sessions()) {
        starts.insert(s.start_time().seconds());
      }
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return starts;
  }

  CatalogueService::Stub& stub() { return *stub_; }

 private:
  std::unique_ptr<CatalogueService::Stub> stub_;
  std::string key_;
};

int Run() {
  const char* key = std::getenv("TRAINING_KEY");
  if (key == nullptr || *key == '\0') {
    std::cerr << "training_catalogue_demo: TRAINING_KEY must hold an admin "
                 "API key\n";
    return 2;
  }
  auto credentials = training::runtime::ChannelCredentials(
      training::runtime::ClientTlsFilesFromFlags());
  if (!credentials.ok()) {
    std::cerr << "training_catalogue_demo: " << credentials.status().message()
              << "\n";
    return 2;
  }
  Loader loader(CatalogueService::NewStub(grpc::CreateChannel(
                    absl::GetFlag(FLAGS_address), *credentials)),
                key);
  const DemoProgramme programme =
      MakeDemoProgramme(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()));
  std::map<std::string, int> created;
  for (const auto& r : programme.venues) {
    created["venues"] += loader.Create("create venue", [&](auto& context) {
      v1::Venue venue;
      return loader.stub().CreateVenue(&context, r, &venue);
    });
  }
  for (const auto& r : programme.trainers) {
    created["trainers"] += loader.Create("create trainer", [&](auto& context) {
      v1::Trainer trainer;
      return loader.stub().CreateTrainer(&context, r, &trainer);
    });
  }
  for (const auto& r : programme.courses) {
    created["courses"] += loader.Create("create course", [&](auto& context) {
      v1::Course course;
      return loader.stub().CreateCourse(&context, r, &course);
    });
    loader.Create("publish course", [&](auto& context) {
      v1::PublishCourseRequest publish;
      publish.set_name("courses/" + r.course_id());
      v1::Course course;
      return loader.stub().PublishCourse(&context, publish, &course);
    });
  }
  std::map<std::string, std::set<int64_t>> starts;
  for (const auto& r : programme.sessions) {
    auto [it, fresh] = starts.try_emplace(r.parent());
    if (fresh) it->second = loader.ExistingStarts(r.parent());
    if (it->second.count(r.session().start_time().seconds()) > 0) continue;
    created["sessions"] += loader.Create("create session", [&](auto& context) {
      v1::Session session;
      return loader.stub().CreateSession(&context, r, &session);
    });
  }
  std::cout << "demo programme: created " << created["venues"] << " venues, "
            << created["trainers"] << " trainers, " << created["courses"]
            << " courses, " << created["sessions"] << " sessions ("
            << programme.sessions.size() << " sessions in the programme)\n";
  return 0;
}

}  // namespace
}  // namespace training::catalogue

int main(int argc, char** argv) {
  training::config::ParseFlagsOrExit(
      argc, argv,
      "training_catalogue_demo: loads the demo programme into a running "
      "catalogue (admin key in TRAINING_KEY).");
  return training::catalogue::Run();
}

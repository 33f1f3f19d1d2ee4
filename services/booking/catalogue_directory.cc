#include "services/booking/catalogue_directory.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/status/errors.h"
#include "common/time/proto_time.h"
#include "services/booking/catalogue_facts.h"

namespace training::booking {

namespace catalogue = training::catalogue::v1;

CatalogueDirectory::CatalogueDirectory(std::shared_ptr<grpc::Channel> channel,
                                       std::string service_key,
                                       absl::Duration timeout)
    : stub_(catalogue::CatalogueService::NewStub(std::move(channel))),
      service_key_(std::move(service_key)),
      timeout_(timeout) {}

void CatalogueDirectory::Prepare(grpc::ClientContext& context,
                                 const Caller& caller) const {
  // Never longer than the caller will wait: an answer after that helps
  // nobody, and the thread waiting for it is needed.
  context.set_deadline(
      absl::ToChronoTime(std::min(absl::Now() + timeout_, caller.deadline)));
  context.AddMetadata("authorization", "Bearer " + service_key_);
  if (!caller.request_id.empty()) {
    context.AddMetadata("x-request-id", caller.request_id);
  }
  if (!caller.traceparent.empty()) {
    context.AddMetadata("traceparent", caller.traceparent);
  }
}

absl::StatusOr<std::pair<SessionFacts, CourseRules>> CatalogueDirectory::Lookup(
    const std::string& name, const Caller& caller) {
  auto failed = [](const grpc::Status& status) -> absl::Status {
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      return absl::NotFoundError("booking.session: no such session");
    }
    // The caller hears UNAVAILABLE; on-call needs to know why.
    log::Warning("catalogue.lookup_failed",
                 {{"code", static_cast<absl::StatusCode>(status.error_code())},
                  {"error", log::ScrubbedText(status.error_message())}});
    return WithRetryInfo(
        absl::UnavailableError(
            "booking.session: the catalogue could not be asked about it"),
        absl::Seconds(1));
  };
  catalogue::GetSessionRequest session_request;
  session_request.set_name(name);
  catalogue::Session session;
  {
    grpc::ClientContext context;
    Prepare(context, caller);
    grpc::Status status =
        stub_->GetSession(&context, session_request, &session);
    if (!status.ok()) return failed(status);
  }
  catalogue::GetCourseRequest course_request;
  course_request.set_name(name.substr(0, name.find("/sessions/")));
  catalogue::Course course;
  {
    grpc::ClientContext context;
    Prepare(context, caller);
    grpc::Status status = stub_->GetCourse(&context, course_request, &course);
    if (!status.ok()) return failed(status);
  }
  // What the catalogue answered is checked as its events are: out of
  // range is the catalogue's fault, not the caller's request.
  absl::StatusOr<SessionFacts> facts = FactsFromCatalogue(session);
  absl::StatusOr<CourseRules> rules = RulesFromCatalogue(course);
  if (!facts.ok() || !rules.ok()) {
    return absl::InternalError(
        absl::StrCat("booking: the catalogue's answer is ",
                     (facts.ok() ? rules.status() : facts.status()).message()));
  }
  return std::make_pair(*std::move(facts), *std::move(rules));
}

}  // namespace training::booking

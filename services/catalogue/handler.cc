#include "services/catalogue/handler.h"

#include "google/protobuf/empty.pb.h"

namespace training::catalogue {
namespace {

Caller CallerOf(const runtime::CallContext& context) {
  using Kind = auth::Principal::Kind;
  const Kind kind = context.principal().kind;
  Caller caller;
  caller.privileged = kind == Kind::kAdmin || kind == Kind::kService;
  caller.request_id = context.request_id();
  caller.traceparent = context.trace().ToHeader();
  caller.tracestate = context.trace().tracestate;
  return caller;
}

// Binds one RPC to the Catalogue member that serves it.
template <typename Request, typename Response>
void Bind(runtime::Dispatcher& dispatcher, const std::string& method,
          Catalogue* catalogue,
          absl::StatusOr<Response> (Catalogue::*serve)(const Caller&,
                                                       const Request&)) {
  runtime::BindMember(dispatcher, method, catalogue, serve, &CallerOf);
}

template <typename Request>
void BindEmpty(runtime::Dispatcher& dispatcher, const std::string& method,
               Catalogue* catalogue,
               absl::Status (Catalogue::*serve)(const Caller&,
                                                const Request&)) {
  dispatcher.Handle<Request, google::protobuf::Empty>(
      method,
      [catalogue, serve](
          const runtime::CallContext& context,
          const Request& request) -> absl::StatusOr<google::protobuf::Empty> {
        absl::Status status = (catalogue->*serve)(CallerOf(context), request);
        if (!status.ok()) return status;
        return google::protobuf::Empty();
      });
}

}  // namespace

void RegisterCatalogueHandlers(runtime::Dispatcher& d, Catalogue* c) {
  Bind(d, "CreateCourse", c, &Catalogue::CreateCourse);
  Bind(d, "GetCourse", c, &Catalogue::GetCourse);
  Bind(d, "ListCourses", c, &Catalogue::ListCourses);
  Bind(d, "UpdateCourse", c, &Catalogue::UpdateCourse);
  Bind(d, "PublishCourse", c, &Catalogue::PublishCourse);
  Bind(d, "ArchiveCourse", c, &Catalogue::ArchiveCourse);
  Bind(d, "CreateSession", c, &Catalogue::CreateSession);
  Bind(d, "GetSession", c, &Catalogue::GetSession);
  Bind(d, "ListSessions", c, &Catalogue::ListSessions);
  Bind(d, "BatchGetSessions", c, &Catalogue::BatchGetSessions);
  Bind(d, "UpdateSession", c, &Catalogue::UpdateSession);
  Bind(d, "CancelSession", c, &Catalogue::CancelSession);
  Bind(d, "SetSessionJoiningDetails", c, &Catalogue::SetSessionJoiningDetails);
  Bind(d, "GetSessionJoiningDetails", c, &Catalogue::GetSessionJoiningDetails);
  Bind(d, "CreateTrainer", c, &Catalogue::CreateTrainer);
  Bind(d, "GetTrainer", c, &Catalogue::GetTrainer);
  Bind(d, "ListTrainers", c, &Catalogue::ListTrainers);
  Bind(d, "UpdateTrainer", c, &Catalogue::UpdateTrainer);
  BindEmpty(d, "DeleteTrainer", c, &Catalogue::DeleteTrainer);
  Bind(d, "CreateVenue", c, &Catalogue::CreateVenue);
  Bind(d, "GetVenue", c, &Catalogue::GetVenue);
  Bind(d, "ListVenues", c, &Catalogue::ListVenues);
  Bind(d, "UpdateVenue", c, &Catalogue::UpdateVenue);
  BindEmpty(d, "DeleteVenue", c, &Catalogue::DeleteVenue);
}

}  // namespace training::catalogue

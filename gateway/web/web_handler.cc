#include "gateway/web/web_handler.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/runtime/call_context.h"
#include "common/text/booking_names.h"

namespace training::gateway::web {
namespace {

// A course's or session's id: what the catalogue assigns.
bool IsId(absl::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  for (char c : id) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') {
      return false;
    }
  }
  return true;
}

// A page to run: its route template and what answers it.
struct Route {
  std::string name;
  std::function<http::HttpResponse(const CallContext&)> answer;
};

}  // namespace

WebHandler::WebHandler(const WebPages* pages, const StaticAssets* assets,
                       runtime::WorkerPool* pool, Reporter reporter)
    : pages_(pages),
      assets_(assets),
      pool_(pool),
      reporter_(std::move(reporter)) {}

bool WebHandler::IsPagePath(absl::string_view path) {
  return !absl::StartsWith(path, "/v1/") && path != "/v1";
}

void WebHandler::Handle(http::HttpRequest request,
                        http::Responder respond) const {
  const absl::Time started = absl::Now();
  const std::string path(request.Path());
  const std::string request_id =
      runtime::AcceptOrMintRequestId(request.Header("x-request-id"));
  const bool get = request.method == "GET" || request.method == "HEAD";
  auto report = [this, started, request_id, method = request.method](
                    const std::string& route, int status) {
    if (reporter_) {
      reporter_({method, route, status, absl::Now() - started, request_id});
    }
  };

  if (get && absl::StartsWith(path, "/assets/")) {
    std::optional<http::HttpResponse> asset = assets_->Serve(path);
    http::HttpResponse response =
        asset ? *std::move(asset) : pages_->NotFound();
    report("/assets/{file}", response.status);
    return respond(std::move(response));
  }

  const std::vector<std::string> s =
      absl::StrSplit(absl::string_view(path).substr(1), '/');
  std::optional<Route> route;
  // The request lives as long as the task that answers it; the routes'
  // functions point into it.
  auto held = std::make_shared<const http::HttpRequest>(std::move(request));
  const http::HttpRequest* r = held.get();
  const WebPages* p = pages_;
  auto reference = [&](const std::string& segment) {
    return text::BookingReferenceOf("bookings/" + segment);
  };
  if (get && path == "/") {
    route = Route{"/",
                  [p, r](const CallContext& c) { return p->Programme(*r, c); }};
  } else if (get && s.size() == 1 &&
             (s[0] == "accessibility" || s[0] == "privacy" ||
              s[0] == "cookies")) {
    route = Route{
        path, [p, page = s[0]](const CallContext&) { return p->Prose(page); }};
  } else if (s.size() >= 4 && s[0] == "courses" && s[2] == "sessions" &&
             IsId(s[1]) && IsId(s[3])) {
    const std::string session = "courses/" + s[1] + "/sessions/" + s[3];
    const std::string base = "/courses/{course}/sessions/{session}";
    if (s.size() == 4 && get) {
      route = Route{base, [p, session](const CallContext& c) {
                      return p->Session(session, c);
                    }};
    } else if (s.size() == 5 && s[4] == "book" && get) {
      route = Route{base + "/book", [p, r, session](const CallContext& c) {
                      return p->BookingForm(session, *r, c);
                    }};
    } else if (s.size() == 5 && s[4] == "book" && r->method == "POST") {
      route = Route{base + "/book", [p, r, session](const CallContext& c) {
                      return p->BookingCheck(session, *r, c);
                    }};
    } else if (s.size() == 6 && s[4] == "book" && s[5] == "confirm" &&
               r->method == "POST") {
      route =
          Route{base + "/book/confirm", [p, r, session](const CallContext& c) {
                  return p->BookingConfirm(session, *r, c);
                }};
    }
  } else if (get && s.size() == 3 && s[0] == "bookings" &&
             s[2] == "confirmation" && reference(s[1])) {
    route = Route{"/bookings/{reference}/confirmation",
                  [p, r, ref = *reference(s[1])](const CallContext& c) {
                    return p->Confirmation(ref, *r, c);
                  }};
  } else if (get && s.size() >= 2 && s.size() <= 3 && s[0] == "manage" &&
             reference(s[1])) {
    const std::string ref = *reference(s[1]);
    if (s.size() == 2) {
      route = Route{"/manage/{reference}", [p, r, ref](const CallContext& c) {
                      return p->Manage(ref, *r, c);
                    }};
    } else if (s[2] == "calendar.ics") {
      route = Route{"/manage/{reference}/calendar.ics",
                    [p, r, ref](const CallContext& c) {
                      return p->Calendar(ref, *r, c);
                    }};
    } else {
      route = Route{"/manage/{reference}/{token}",
                    [p, ref, token = s[2]](const CallContext&) {
                      return p->ManageLink(ref, token);
                    }};
    }
  }

  if (!route) {
    http::HttpResponse response = pages_->NotFound();
    report("unmatched", response.status);
    return respond(std::move(response));
  }
  auto run = [held, answer = route->answer, name = route->name, respond, report,
              request_id] {
    http::HttpResponse response = answer({.request_id = request_id});
    report(name, response.status);
    respond(std::move(response));
  };
  if (!pool_->TrySubmit(run)) {
    http::HttpResponse response =
        pages_->Failure(absl::UnavailableError("the page workers are busy"));
    report(route->name, response.status);
    respond(std::move(response));
  }
}

}  // namespace training::gateway::web

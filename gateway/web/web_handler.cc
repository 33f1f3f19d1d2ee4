#include "gateway/web/web_handler.h"

#include <map>
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

using Request = std::shared_ptr<const http::HttpRequest>;

// A page to run: its route template and what answers it.
struct Route {
  std::string name;
  std::function<http::HttpResponse(const PageCall&)> answer;
};

// The routes under /courses/{course}/sessions/{session}.
std::optional<Route> SessionRoute(const WebPages* p, const Request& r,
                                  const std::vector<std::string>& s) {
  if (s.size() < 4 || s[0] != "courses" || s[2] != "sessions" || !IsId(s[1]) ||
      !IsId(s[3])) {
    return std::nullopt;
  }
  const std::string session = "courses/" + s[1] + "/sessions/" + s[3];
  const std::string base = "/courses/{course}/sessions/{session}";
  const bool get = r->method == "GET" || r->method == "HEAD";
  const bool post = r->method == "POST";
  if (s.size() == 4 && get) {
    return Route{base, [p, r, session](const PageCall& c) {
                   return p->Session(session, *r, c);
                 }};
  }
  if (s.size() == 5 && s[4] == "book" && get) {
    return Route{base + "/book", [p, r, session](const PageCall& c) {
                   return p->BookingForm(session, *r, c);
                 }};
  }
  if (s.size() == 5 && s[4] == "book" && post) {
    return Route{base + "/book", [p, r, session](const PageCall& c) {
                   return p->BookingCheck(session, *r, c);
                 }};
  }
  if (s.size() == 6 && s[4] == "book" && s[5] == "confirm" && post) {
    return Route{base + "/book/confirm", [p, r, session](const PageCall& c) {
                   return p->BookingConfirm(session, *r, c);
                 }};
  }
  return std::nullopt;
}

// /manage/{reference}/{change}: its page (GET), the change (POST) and,
// under /done, the page saying it is made.
std::optional<Route> ChangeRoute(const WebPages* p, const Request& r,
                                 const std::string& ref,
                                 const std::vector<std::string>& s) {
  static const auto* changes = new std::map<std::string, BookingChange>{
      {"cancel", BookingChange::kCancel},
      {"leave", BookingChange::kLeave},
      {"accept", BookingChange::kAccept},
      {"decline", BookingChange::kDecline}};
  if (s.size() < 3) return std::nullopt;
  auto it = changes->find(s[2]);
  if (it == changes->end()) return std::nullopt;
  const BookingChange change = it->second;
  const bool get = r->method == "GET" || r->method == "HEAD";
  const std::string route = "/manage/{reference}/" + s[2];
  if (s.size() == 3 && get) {
    return Route{route, [p, r, ref, change](const PageCall& c) {
                   return p->ChangePage(change, ref, *r, c);
                 }};
  }
  if (s.size() == 3 && r->method == "POST") {
    return Route{route, [p, r, ref, change](const PageCall& c) {
                   return p->MakeChange(change, ref, *r, c);
                 }};
  }
  if (s.size() == 4 && s[3] == "done" && get) {
    return Route{route + "/done", [p, r, ref, change](const PageCall& c) {
                   return p->ChangeDone(change, ref, *r, c);
                 }};
  }
  return std::nullopt;
}

// /manage/{reference}/colleague: the form (GET), its check (POST) and the
// change (POST …/confirm).
std::optional<Route> ColleagueRoute(const WebPages* p, const Request& r,
                                    const std::string& ref,
                                    const std::vector<std::string>& s) {
  if (s.size() < 3 || s[2] != "colleague") return std::nullopt;
  const std::string route = "/manage/{reference}/colleague";
  if (s.size() == 3 && (r->method == "GET" || r->method == "HEAD")) {
    return Route{route, [p, r, ref](const PageCall& c) {
                   return p->ColleagueForm(ref, *r, c);
                 }};
  }
  if (s.size() == 3 && r->method == "POST") {
    return Route{route, [p, r, ref](const PageCall& c) {
                   return p->ColleagueCheck(ref, *r, c);
                 }};
  }
  if (s.size() == 4 && s[3] == "confirm" && r->method == "POST") {
    return Route{route + "/confirm", [p, r, ref](const PageCall& c) {
                   return p->ColleagueConfirm(ref, *r, c);
                 }};
  }
  if (s.size() == 4 && s[3] == "done" &&
      (r->method == "GET" || r->method == "HEAD")) {
    return Route{route + "/done", [p, r, ref](const PageCall&) {
                   return p->ColleagueDone(ref, *r);
                 }};
  }
  return std::nullopt;
}

// The routes of one booking, by its reference in any case or with a
// hyphen.
std::optional<Route> BookingRoute(const WebPages* p, const Request& r,
                                  const std::vector<std::string>& s) {
  const bool get = r->method == "GET" || r->method == "HEAD";
  if (s.size() < 2) return std::nullopt;
  const std::optional<std::string> ref =
      text::BookingReferenceOf("bookings/" + s[1]);
  if (!ref) return std::nullopt;
  if (get && s[0] == "bookings" && s.size() == 3 && s[2] == "confirmation") {
    return Route{"/bookings/{reference}/confirmation",
                 [p, r, ref = *ref](const PageCall& c) {
                   return p->Confirmation(ref, *r, c);
                 }};
  }
  if (s[0] != "manage" || s.size() > 4) return std::nullopt;
  if (std::optional<Route> change = ChangeRoute(p, r, *ref, s)) return change;
  if (std::optional<Route> colleague = ColleagueRoute(p, r, *ref, s)) {
    return colleague;
  }
  if (!get || s.size() > 3) return std::nullopt;
  if (s.size() == 2) {
    return Route{"/manage/{reference}", [p, r, ref = *ref](const PageCall& c) {
                   return p->Manage(ref, *r, c);
                 }};
  }
  if (s[2] == "calendar.ics") {
    return Route{"/manage/{reference}/calendar.ics",
                 [p, r, ref = *ref](const PageCall& c) {
                   return p->Calendar(ref, *r, c);
                 }};
  }
  return Route{"/manage/{reference}/{token}",
               [p, ref = *ref, token = s[2]](const PageCall&) {
                 return p->ManageLink(ref, token);
               }};
}

std::optional<Route> MatchRoute(const WebPages* p, const Request& r) {
  const std::string path(r->Path());
  const bool get = r->method == "GET" || r->method == "HEAD";
  if (get && path == "/") {
    return Route{"/",
                 [p, r](const PageCall& c) { return p->Programme(*r, c); }};
  }
  if (get &&
      (path == "/accessibility" || path == "/privacy" || path == "/cookies")) {
    return Route{path, [p, page = path.substr(1)](const PageCall&) {
                   return p->Prose(page);
                 }};
  }
  if (path == "/contact" && (get || r->method == "POST")) {
    return Route{path, [p, r, get](const PageCall& c) {
                   return get ? p->Contact(*r, c) : p->SendEnquiry(*r, c);
                 }};
  }
  if (get && path == "/contact/sent") {
    return Route{path, [p](const PageCall&) { return p->EnquirySent(); }};
  }
  const std::vector<std::string> s =
      absl::StrSplit(absl::string_view(path).substr(1), '/');
  if (get && s[0] == "learning" && s.size() == 1) {
    return Route{"/learning",
                 [p, r](const PageCall& c) { return p->Learning(*r, c); }};
  }
  if (get && s[0] == "learning" && s.size() == 2 && IsId(s[1])) {
    return Route{"/learning/{article}", [p, r, id = s[1]](const PageCall& c) {
                   return p->Article(id, *r, c);
                 }};
  }
  if (std::optional<Route> route = SessionRoute(p, r, s)) return route;
  return BookingRoute(p, r, s);
}

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
  const std::string request_id =
      runtime::AcceptOrMintRequestId(request.Header("x-request-id"));
  auto report = [this, started, request_id, method = request.method](
                    const std::string& route, int status) {
    if (reporter_) {
      reporter_({method, route, status, absl::Now() - started, request_id});
    }
  };
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (get && absl::StartsWith(request.Path(), "/assets/")) {
    std::optional<http::HttpResponse> asset = assets_->Serve(request.Path());
    http::HttpResponse response =
        asset ? *std::move(asset) : pages_->NotFound();
    report("/assets/{file}", response.status);
    return respond(std::move(response));
  }
  // The request lives as long as the task that answers it; the routes'
  // functions read it.
  auto held = std::make_shared<const http::HttpRequest>(std::move(request));
  std::optional<Route> route = MatchRoute(pages_, held);
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
    http::HttpResponse response = pages_->Busy();
    report(route->name, response.status);
    respond(std::move(response));
  }
}

}  // namespace training::gateway::web

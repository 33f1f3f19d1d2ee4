// The manage link, the booking as it stands, its calendar file, and the
// pages for failures.

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/status/errors.h"
#include "gateway/web/components/components.h"
#include "gateway/web/display_format.h"
#include "gateway/web/web_http.h"
#include "gateway/web/web_pages.h"

namespace training::gateway::web {
namespace {

// Manage tokens are URL-safe base64; anything else is not one.
bool PlausibleToken(const std::string& token) {
  if (token.size() < 16 || token.size() > 256) return false;
  for (char c : token) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

WebPages::WebPages(SuiteClient* suite, const PageRenderer* renderer,
                   const FormGuard* guard, WebOptions options)
    : suite_(suite), renderer_(renderer), guard_(guard), options_(options) {}

std::string WebPages::ManageToken(const std::string& reference,
                                  const http::HttpRequest& request) const {
  std::string token = CookieValue(request, ManageCookieName(reference));
  return PlausibleToken(token) ? token : "";
}

std::optional<CallContext> WebPages::AsHolder(const std::string& reference,
                                              const http::HttpRequest& request,
                                              const CallContext& call) const {
  const std::string token = ManageToken(reference, request);
  if (token.empty()) return std::nullopt;
  CallContext holder = call;
  holder.authorization = "Bearer " + token;
  return holder;
}

http::HttpResponse WebPages::ManageLink(const std::string& reference,
                                        const std::string& token) const {
  http::HttpResponse response = SeeOther("/manage/" + reference);
  if (PlausibleToken(token)) {
    CookieOptions cookie = options_.cookies;
    cookie.max_age = options_.manage_cookie_max_age;
    response.headers.emplace_back(
        "Set-Cookie", SetCookie(ManageCookieName(reference), token, cookie));
  }
  return response;
}

http::HttpResponse WebPages::Manage(const std::string& reference,
                                    const http::HttpRequest& request,
                                    const CallContext& call) const {
  const std::optional<CallContext> holder = AsHolder(reference, request, call);
  mustache::data data;
  data.set("reference", DisplayReference(reference));
  data.set("manage_url", "/manage/" + reference);
  if (!holder) {
    return renderer_->Page({.title = "Open your booking from your email",
                            .content = renderer_->Body("manage_missing", data),
                            .status = 403});
  }
  absl::StatusOr<booking::Booking> b =
      suite_->GetBooking("bookings/" + reference, *holder);
  if (absl::IsNotFound(b.status()) || absl::IsUnauthenticated(b.status()) ||
      absl::IsPermissionDenied(b.status())) {
    // The cookie's token no longer opens the booking (passed to a
    // colleague, or erased): forget it.
    http::HttpResponse response =
        renderer_->Page({.title = "Open your booking from your email",
                         .content = renderer_->Body("manage_missing", data),
                         .status = 403});
    response.headers.emplace_back(
        "Set-Cookie",
        ClearCookie(ManageCookieName(reference), options_.cookies));
    return response;
  }
  if (!b.ok()) return Failure(b.status());
  absl::StatusOr<catalogue::Session> session =
      suite_->GetSession(b->session(), call);
  if (!session.ok()) return Failure(session.status());
  std::string tag, text;
  switch (b->state()) {
    case booking::Booking::CONFIRMED:
      tag = Tag({{"text", "Confirmed"}, {"classes", "govuk-tag--green"}});
      text = "You have a place on this session.";
      break;
    case booking::Booking::WAITLISTED:
      tag = Tag(
          {{"text", "On the waiting list"}, {"classes", "govuk-tag--yellow"}});
      text = absl::StrCat("You are number ", b->waitlist_position(),
                          " on the waiting list.");
      break;
    case booking::Booking::OFFERED:
      tag = Tag({{"text", "Place offered"}, {"classes", "govuk-tag--blue"}});
      text = absl::StrCat(
          "A place has been offered to you until ",
          FormatDate(absl::FromUnixSeconds(b->offer().expire_time().seconds()),
                     ZoneOrLondon(session->time_zone())),
          ", ",
          FormatClockTime(
              absl::FromUnixSeconds(b->offer().expire_time().seconds()),
              ZoneOrLondon(session->time_zone())),
          ".");
      break;
    default:
      tag = Tag({{"text", "Cancelled"}, {"classes", "govuk-tag--grey"}});
      text = "This booking has been cancelled.";
  }
  data.set("state_tag", tag);
  data.set("state_text", text);
  data.set("confirmed", b->state() == booking::Booking::CONFIRMED);
  data.set("calendar_url",
           absl::StrCat("/manage/", reference, "/calendar.ics"));
  const std::string title =
      session->title().empty() ? session->course_title() : session->title();
  data.set(
      "session_summary",
      SummaryList(
          {{"rows",
            Params::array(
                {{{"key", {{"text", "Course"}}}, {"value", {{"text", title}}}},
                 {{"key", {{"text", "Date and time"}}},
                  {"value",
                   {{"text",
                     FormatSessionTime(
                         absl::FromUnixSeconds(session->start_time().seconds()),
                         absl::FromUnixSeconds(session->end_time().seconds()),
                         ZoneOrLondon(session->time_zone()))}}}}})}}));
  return renderer_->Page(
      {.title = "Your booking", .content = renderer_->Body("manage", data)});
}

http::HttpResponse WebPages::Calendar(const std::string& reference,
                                      const http::HttpRequest& request,
                                      const CallContext& call) const {
  const std::optional<CallContext> holder = AsHolder(reference, request, call);
  if (!holder) return Manage(reference, request, call);
  absl::StatusOr<google::api::HttpBody> body =
      suite_->DownloadBookingCalendar("bookings/" + reference, *holder);
  if (!body.ok()) return Failure(body.status());
  http::HttpResponse response;
  response.content_type = body->content_type();
  response.body = body->data();
  response.headers.emplace_back(
      "Content-Disposition",
      absl::StrCat("attachment; filename=\"training-", reference, ".ics\""));
  return response;
}

http::HttpResponse WebPages::Prose(const std::string& page) const {
  if (page == "accessibility") {
    return renderer_->ProsePage("accessibility", "Accessibility statement");
  }
  if (page == "privacy")
    return renderer_->ProsePage("privacy", "Privacy notice");
  if (page == "cookies") return renderer_->ProsePage("cookies", "Cookies");
  return NotFound();
}

http::HttpResponse WebPages::NotFound() const {
  return renderer_->ProsePage("not_found", "Page not found", 404);
}

http::HttpResponse WebPages::Forbidden() const {
  return renderer_->ProsePage("forbidden", "Your form could not be sent", 403);
}

http::HttpResponse WebPages::TooManyRequests(http::HttpResponse refusal) const {
  http::HttpResponse page =
      renderer_->ProsePage("too_many", "Too many attempts", refusal.status);
  page.headers = std::move(refusal.headers);
  return page;
}

http::HttpResponse WebPages::Failure(const absl::Status& status,
                                     bool booking_not_made) const {
  if (absl::IsNotFound(status)) return NotFound();
  if (absl::IsResourceExhausted(status)) {
    http::HttpResponse response =
        renderer_->ProsePage("too_many", "Too many attempts", 429);
    response.headers.emplace_back("Retry-After", "60");
    return response;
  }
  const bool unavailable =
      absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
  log::Warning("web.backend_failed",
               {{"code", status.code()},
                {"error", log::ScrubbedText(status.message())}});
  mustache::data data;
  data.set("booking_not_made", booking_not_made);
  http::HttpResponse response =
      renderer_->Page({.title = "Sorry, there is a problem with the service",
                       .content = renderer_->Body("server_error", data),
                       .status = unavailable ? 503 : 500});
  if (unavailable) response.headers.emplace_back("Retry-After", "30");
  return response;
}

}  // namespace training::gateway::web

// The manage link, the booking as it stands, its calendar file, and the
// pages for failures and refusals.

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/status/errors.h"
#include "gateway/web/components/components.h"
#include "gateway/web/display_format.h"
#include "gateway/web/page_parts.h"
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

std::string TokenCookie(const std::string& reference) {
  return "manage_" + reference;
}

std::string MarkerCookie(const std::string& reference) {
  return "manage_seen_" + reference;
}

// The booking's state as a tag and a sentence.
std::pair<std::string, std::string> StateOf(const booking::Booking& b,
                                            const catalogue::Session& s) {
  const absl::TimeZone zone = ZoneOrLondon(s.time_zone());
  switch (b.state()) {
    case booking::Booking::CONFIRMED:
      return {Tag({{"text", "Confirmed"}, {"classes", "govuk-tag--green"}}),
              "You have a place on this session."};
    case booking::Booking::WAITLISTED:
      return {Tag({{"text", "On the waiting list"},
                   {"classes", "govuk-tag--yellow"}}),
              absl::StrCat("You are number ", b.waitlist_position(),
                           " on the waiting list.")};
    case booking::Booking::OFFERED: {
      const absl::Time until =
          absl::FromUnixSeconds(b.offer().expire_time().seconds());
      if (until <= absl::Now()) {
        return {
            Tag({{"text", "Offer expired"}, {"classes", "govuk-tag--grey"}}),
            "The place offered to you was not accepted in time."};
      }
      return {Tag({{"text", "Place offered"}, {"classes", "govuk-tag--blue"}}),
              absl::StrCat("A place is offered to you until ",
                           FormatDateTime(until, zone), ".")};
    }
    case booking::Booking::LEFT_WAITLIST:
      return {Tag({{"text", "Left the waiting list"},
                   {"classes", "govuk-tag--grey"}}),
              "You have left the waiting list for this session."};
    default:
      if (b.cancellation().cause() == booking::Cancellation::OFFER_EXPIRED) {
        return {
            Tag({{"text", "Offer expired"}, {"classes", "govuk-tag--grey"}}),
            "The place offered to you was not accepted in time."};
      }
      if (b.cancellation().cause() == booking::Cancellation::OFFER_DECLINED) {
        return {Tag({{"text", "Declined"}, {"classes", "govuk-tag--grey"}}),
                "You declined the place offered to you."};
      }
      return {Tag({{"text", "Cancelled"}, {"classes", "govuk-tag--grey"}}),
              "This booking has been cancelled."};
  }
}

}  // namespace

WebPages::WebPages(SuiteClient* suite, const PageRenderer* renderer,
                   const FormGuard* guard, WebOptions options)
    : suite_(suite), renderer_(renderer), guard_(guard), options_(options) {
  too_many_body_ =
      renderer_->ProsePage("too_many", "Too many attempts", 429).body;
}

std::string WebPages::ManageToken(const std::string& reference,
                                  const http::HttpRequest& request) const {
  std::string token =
      CookieValue(request, options_.cookies.Name(TokenCookie(reference)));
  return PlausibleToken(token) ? token : "";
}

std::optional<PageCall> WebPages::AsHolder(const std::string& reference,
                                           const http::HttpRequest& request,
                                           const PageCall& call) const {
  const std::string token = ManageToken(reference, request);
  if (token.empty()) return std::nullopt;
  PageCall holder = call;
  holder.authorization = "Bearer " + token;
  return holder;
}

void WebPages::AddManageCookies(const std::string& reference,
                                const std::string& token,
                                http::HttpResponse& response) const {
  CookieOptions cookie = options_.cookies;
  cookie.max_age = options_.manage_cookie_max_age;
  response.headers.emplace_back(
      "Set-Cookie",
      SetCookie(cookie.Name(TokenCookie(reference)), token, cookie));
  cookie.lax = true;
  response.headers.emplace_back(
      "Set-Cookie",
      SetCookie(cookie.Name(MarkerCookie(reference)), "1", cookie));
}

void WebPages::ForgetManageCookies(const std::string& reference,
                                   http::HttpResponse& response) const {
  for (const std::string& name :
       {TokenCookie(reference), MarkerCookie(reference)}) {
    response.headers.emplace_back(
        "Set-Cookie",
        ClearCookie(options_.cookies.Name(name), options_.cookies));
  }
}

http::HttpResponse WebPages::ManageLink(const std::string& reference,
                                        const std::string& token) const {
  http::HttpResponse response = SeeOther("/manage/" + reference);
  if (PlausibleToken(token)) AddManageCookies(reference, token, response);
  return response;
}

std::optional<WebPages::HeldBooking> WebPages::ReadHeld(
    const std::string& reference, const http::HttpRequest& request,
    const PageCall& call) const {
  std::optional<PageCall> holder = AsHolder(reference, request, call);
  if (!holder) return std::nullopt;
  absl::StatusOr<booking::Booking> b =
      suite_->GetBooking("bookings/" + reference, *holder);
  if (!b.ok()) return std::nullopt;
  return HeldBooking{.holder = *std::move(holder), .booking = *std::move(b)};
}

absl::StatusOr<catalogue::Session> WebPages::SessionOfBooking(
    const booking::Booking& b, const PageCall& call) const {
  if (!b.session().empty()) return suite_->GetSession(b.session(), call);
  absl::StatusOr<catalogue::Course> course =
      suite_->GetCourse(b.course(), call);
  if (!course.ok()) return course.status();
  catalogue::Session any_date;
  any_date.set_course_title(course->title());
  if (b.delivery_preference() == booking::Booking::ONLINE_ONLY) {
    any_date.set_delivery_mode(catalogue::ONLINE);
  } else if (b.delivery_preference() == booking::Booking::IN_PERSON_ONLY) {
    any_date.set_delivery_mode(catalogue::IN_PERSON);
  }
  return any_date;
}

http::HttpResponse WebPages::Manage(const std::string& reference,
                                    const http::HttpRequest& request,
                                    const PageCall& call) const {
  mustache::data data;
  data.set("reference", DisplayReference(reference));
  data.set("manage_url", "/manage/" + reference);
  const std::optional<PageCall> holder = AsHolder(reference, request, call);
  if (!holder) {
    // Just followed the link from another site: one click from here (this
    // site) carries the Strict cookie.
    if (!CookieValue(request, options_.cookies.Name(MarkerCookie(reference)))
             .empty()) {
      return renderer_->Page(
          {.title = "Continue to your booking",
           .content = renderer_->Body("manage_continue", data)});
    }
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
    ForgetManageCookies(reference, response);
    return response;
  }
  if (!b.ok()) return Failure(b.status());
  absl::StatusOr<catalogue::Session> session = SessionOfBooking(*b, call);
  if (!session.ok()) return Failure(session.status());
  const auto [tag, text] = StateOf(*b, *session);
  data.set("state_tag", tag);
  data.set("state_text", text);
  const bool confirmed = b->state() == booking::Booking::CONFIRMED;
  data.set("confirmed", confirmed);
  // Once the session has started, a place is neither cancelled nor passed
  // on from here.
  data.set("changeable", confirmed && !HasStarted(*session, absl::Now()));
  data.set("waiting", b->state() == booking::Booking::WAITLISTED);
  const absl::Time offer_until =
      absl::FromUnixSeconds(b->offer().expire_time().seconds());
  const bool offered = b->state() == booking::Booking::OFFERED;
  if (offered && offer_until > absl::Now()) {
    data.set("offered", true);
    data.set(
        "accept_button",
        Button({{"text", "Accept the place"},
                {"href", absl::StrCat("/manage/", reference, "/accept")}}));
    data.set("decline_button",
             Button({{"text", "Decline the place"},
                     {"href", absl::StrCat("/manage/", reference, "/decline")},
                     {"classes", "govuk-button--secondary"}}));
  }
  const bool lapsed =
      (offered && offer_until <= absl::Now()) ||
      (b->state() == booking::Booking::CANCELLED &&
       b->cancellation().cause() == booking::Cancellation::OFFER_EXPIRED);
  if (lapsed) {
    data.set("offer_expired", true);
    // Once the booking service has ended the offer, the booking carries it
    // no more: the page then names no time.
    if (b->has_offer()) {
      const absl::TimeZone zone = ZoneOrLondon(session->time_zone());
      data.set("offer_deadline",
               absl::StrCat(" until ", FormatDateTime(offer_until, zone)));
    }
  }
  data.set("calendar_url",
           absl::StrCat("/manage/", reference, "/calendar.ics"));
  data.set("session_summary", SummaryList({{"rows", SessionRows(*session)}}));
  return renderer_->Page(
      {.title = "Your booking", .content = renderer_->Body("manage", data)});
}

http::HttpResponse WebPages::Calendar(const std::string& reference,
                                      const http::HttpRequest& request,
                                      const PageCall& call) const {
  const std::optional<PageCall> holder = AsHolder(reference, request, call);
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
  if (page == "privacy") {
    return renderer_->ProsePage("privacy", "Privacy notice");
  }
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
  refusal.content_type = "text/html; charset=utf-8";
  refusal.body = too_many_body_;
  return refusal;
}

http::HttpResponse WebPages::Busy() const {
  mustache::data data;
  http::HttpResponse response =
      renderer_->Page({.title = "Sorry, there is a problem with the service",
                       .content = renderer_->Body("server_error", data),
                       .status = 503});
  response.headers.emplace_back("Retry-After", "5");
  return response;
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

// Sending a colleague in one's place: the colleague's details asked as the
// booking form asks them, check your answers, and the change itself
// (SubstituteAttendee). The visitor's token stops opening the booking once
// the place has passed, so the pages read nothing after it.

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/text/text.h"
#include "gateway/web/components/components.h"
#include "gateway/web/display_format.h"
#include "gateway/web/page_parts.h"
#include "gateway/web/web_http.h"
#include "gateway/web/web_pages.h"

namespace training::gateway::web {
namespace {

using Values = std::map<std::string, std::string>;

// SubstituteAttendee names the colleague's fields `attendee.*`; the form's
// mapping knows CreateBooking's `booking.attendee.*`.
std::vector<FieldViolation> AsBookingFields(std::vector<FieldViolation> v) {
  for (FieldViolation& violation : v) {
    if (absl::StartsWith(violation.field, "attendee.")) {
      violation.field = "booking." + violation.field;
    }
  }
  return v;
}

// Set for a few minutes once a place has passed, for the done page.
std::string PassedCookie(const std::string& reference) {
  return "passed_" + reference;
}

}  // namespace

std::optional<WebPages::FormPage> WebPages::LoadColleaguePage(
    const std::string& reference, const http::HttpRequest& request,
    const PageCall& call, http::HttpResponse& refusal) const {
  const std::optional<PageCall> holder = AsHolder(reference, request, call);
  if (!holder) {
    refusal = Manage(reference, request, call);
    return std::nullopt;
  }
  return ColleaguePageOf(reference,
                         suite_->GetBooking("bookings/" + reference, *holder),
                         call, refusal);
}

std::optional<WebPages::FormPage> WebPages::ColleaguePageOf(
    const std::string& reference, const absl::StatusOr<booking::Booking>& b,
    const PageCall& call, http::HttpResponse& refusal) const {
  if (!b.ok() || b->state() != booking::Booking::CONFIRMED) {
    refusal = b.ok() || absl::IsNotFound(b.status())
                  ? SeeOther("/manage/" + reference)
                  : Failure(b.status());
    return std::nullopt;
  }
  absl::StatusOr<catalogue::Session> session =
      suite_->GetSession(b->session(), call);
  if (!session.ok()) {
    refusal = Failure(session.status());
    return std::nullopt;
  }
  // A place in a session under way is not passed on.
  if (HasStarted(*session, absl::Now())) {
    refusal = SeeOther("/manage/" + reference);
    return std::nullopt;
  }
  return FormPage{.session = b->session(),
                  .details = *std::move(session),
                  .bookable = true,
                  .who = Person::kColleague,
                  .reference = reference,
                  .holder_email = b->attendee().email()};
}

std::vector<FormError> WebPages::ColleagueMistakes(const FormPage& page) {
  std::vector<FormError> errors =
      CheckAnswers(page.answers, Person::kColleague);
  const bool email_ok =
      std::none_of(errors.begin(), errors.end(),
                   [](const FormError& e) { return e.field == "email"; });
  if (email_ok &&
      absl::EqualsIgnoreCase(page.answers.email, page.holder_email)) {
    errors.insert(
        std::find_if(errors.begin(), errors.end(),
                     [](const FormError& e) { return e.field != "full_name"; }),
        {"email", "Enter your colleague's work email address, not your own"});
  }
  return errors;
}

http::HttpResponse WebPages::ColleagueForm(const std::string& reference,
                                           const http::HttpRequest& request,
                                           const PageCall& call) const {
  http::HttpResponse refusal;
  std::optional<FormPage> page =
      LoadColleaguePage(reference, request, call, refusal);
  if (!page) return refusal;
  page->request_id = NewUuid();
  return RenderForm(*page, request);
}

http::HttpResponse WebPages::ColleagueCheck(const std::string& reference,
                                            const http::HttpRequest& request,
                                            const PageCall& call) const {
  std::optional<Values> form = GuardedForm(
      "/manage/" + reference + "/colleague", request, FormKey::kOptional);
  if (!form) return Forbidden();
  http::HttpResponse refusal;
  std::optional<FormPage> page =
      LoadColleaguePage(reference, request, call, refusal);
  if (!page) return refusal;
  page->answers = AnswersFromForm(*form);
  const std::string key = FormValue(*form, "request_id");
  page->request_id = text::IsUuid(key) ? key : NewUuid();
  if (FormValue(*form, "change") == "yes") return RenderForm(*page, request);
  page->errors = ColleagueMistakes(*page);
  if (!page->errors.empty()) return RenderForm(*page, request);
  return RenderCheck(*page, request);
}

http::HttpResponse WebPages::ColleagueConfirm(const std::string& reference,
                                              const http::HttpRequest& request,
                                              const PageCall& call) const {
  std::optional<Values> form =
      GuardedForm("/manage/" + reference + "/colleague", request);
  if (!form) return Forbidden();
  const std::optional<PageCall> holder = AsHolder(reference, request, call);
  if (!holder) return Manage(reference, request, call);
  const BookingAnswers answers = AnswersFromForm(*form);
  // The holder's token reads the booking until the place has passed, and
  // the form is checked as its check page did. Once passed (this form sent
  // again), the booking service answers the same change under the same key
  // as it did the first time, and refuses any other.
  std::optional<FormPage> page;
  absl::StatusOr<booking::Booking> current =
      suite_->GetBooking("bookings/" + reference, *holder);
  if (current.ok()) {
    http::HttpResponse refusal;
    page = ColleaguePageOf(reference, current, call, refusal);
    if (!page) return refusal;
    page->answers = answers;
    page->request_id = FormValue(*form, "request_id");
    page->errors = ColleagueMistakes(*page);
    if (!page->errors.empty()) return RenderForm(*page, request);
  } else if (!absl::IsNotFound(current.status()) &&
             !absl::IsUnauthenticated(current.status()) &&
             !absl::IsPermissionDenied(current.status())) {
    return Failure(current.status());
  } else if (!CheckAnswers(answers, Person::kColleague).empty()) {
    return Manage(reference, request, call);
  }
  booking::SubstituteAttendeeRequest substitute;
  substitute.set_name("bookings/" + reference);
  substitute.set_request_id(DerivedRequestId(FormValue(*form, "request_id"),
                                             "colleague:" + reference,
                                             FormFromAnswers(answers)));
  *substitute.mutable_attendee() = AttendeeOf(answers);
  absl::StatusOr<booking::Booking> passed =
      suite_->SubstituteAttendee(substitute, *holder);
  if (!passed.ok()) {
    const std::optional<ErrorInfo> info = GetErrorInfo(passed.status());
    if (info && info->reason == "NOT_CONFIRMED") {
      return SeeOther("/manage/" + reference);
    }
    if (!page) return Manage(reference, request, call);
    page->errors =
        ErrorsFromRefusal(AsBookingFields(GetFieldViolations(passed.status())),
                          info ? info->reason : "", Person::kColleague);
    if (page->errors.empty()) return Failure(passed.status());
    return RenderForm(*page, request);
  }
  // The visitor's token opens the booking no more: a short-lived marker
  // lets the done page (after the 303, so that a reload sends nothing)
  // say so to this browser alone.
  http::HttpResponse response =
      SeeOther(absl::StrCat("/manage/", reference, "/colleague/done"));
  ForgetManageCookies(reference, response);
  CookieOptions marker = options_.cookies;
  marker.max_age = absl::Minutes(10);
  response.headers.emplace_back(
      "Set-Cookie",
      SetCookie(marker.Name(PassedCookie(reference)), "1", marker));
  return response;
}

http::HttpResponse WebPages::ColleagueDone(
    const std::string& reference, const http::HttpRequest& request) const {
  if (CookieValue(request, options_.cookies.Name(PassedCookie(reference)))
          .empty()) {
    return SeeOther("/manage/" + reference);
  }
  mustache::data data;
  data.set("panel", ReferencePanel("Your place has passed to your colleague",
                                   reference));
  data.set("text",
           "We have emailed your colleague the booking and their own link to "
           "manage it, and sent you an email to confirm. Your link no longer "
           "opens this booking.");
  return renderer_->Page({.title = "Your place has passed to your colleague",
                          .content = renderer_->Body("change_done", data)});
}

}  // namespace training::gateway::web

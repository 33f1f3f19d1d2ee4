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

std::string FieldOf(const Values& form, const char* name) {
  auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

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

}  // namespace

std::optional<WebPages::FormPage> WebPages::LoadColleaguePage(
    const std::string& reference, const http::HttpRequest& request,
    const PageCall& call, http::HttpResponse& refusal) const {
  const std::optional<PageCall> holder = AsHolder(reference, request, call);
  if (!holder) {
    refusal = Manage(reference, request, call);
    return std::nullopt;
  }
  absl::StatusOr<booking::Booking> b =
      suite_->GetBooking("bookings/" + reference, *holder);
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
  return FormPage{.session = b->session(),
                  .details = *std::move(session),
                  .bookable = true,
                  .who = Person::kColleague,
                  .reference = reference};
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
  std::optional<Values> form = DecodeForm(request.body);
  if (!form || !guard_->Check(request, FieldOf(*form, kFormGuardField),
                              "/manage/" + reference + "/colleague")) {
    return Forbidden();
  }
  http::HttpResponse refusal;
  std::optional<FormPage> page =
      LoadColleaguePage(reference, request, call, refusal);
  if (!page) return refusal;
  page->answers = AnswersFromForm(*form);
  const std::string key = FieldOf(*form, "request_id");
  page->request_id = text::IsUuid(key) ? key : NewUuid();
  if (FieldOf(*form, "change") == "yes") return RenderForm(*page, request);
  page->errors = CheckAnswers(page->answers);
  if (!page->errors.empty()) return RenderForm(*page, request);
  return RenderCheck(*page, request);
}

http::HttpResponse WebPages::ColleagueConfirm(const std::string& reference,
                                              const http::HttpRequest& request,
                                              const PageCall& call) const {
  std::optional<Values> form = DecodeForm(request.body);
  if (!form ||
      !guard_->Check(request, FieldOf(*form, kFormGuardField),
                     "/manage/" + reference + "/colleague") ||
      !text::IsUuid(FieldOf(*form, "request_id"))) {
    return Forbidden();
  }
  const std::optional<PageCall> holder = AsHolder(reference, request, call);
  if (!holder) return Manage(reference, request, call);
  const BookingAnswers answers = AnswersFromForm(*form);
  auto ask_again = [&](std::vector<FormError> errors) {
    http::HttpResponse refusal;
    std::optional<FormPage> page =
        LoadColleaguePage(reference, request, call, refusal);
    if (!page) return refusal;
    page->answers = answers;
    page->errors = std::move(errors);
    page->request_id = FieldOf(*form, "request_id");
    return RenderForm(*page, request);
  };
  if (std::vector<FormError> errors = CheckAnswers(answers); !errors.empty()) {
    return ask_again(std::move(errors));
  }
  booking::SubstituteAttendeeRequest substitute;
  substitute.set_name("bookings/" + reference);
  substitute.set_request_id(DerivedRequestId(FieldOf(*form, "request_id"),
                                             "colleague:" + reference,
                                             FormFromAnswers(answers)));
  *substitute.mutable_attendee() = AttendeeOf(answers);
  absl::StatusOr<booking::Booking> passed =
      suite_->SubstituteAttendee(substitute, *holder);
  if (!passed.ok()) {
    if (absl::IsFailedPrecondition(passed.status()) &&
        GetErrorInfo(passed.status()).value_or(ErrorInfo{}).reason ==
            "NOT_CONFIRMED") {
      return SeeOther("/manage/" + reference);
    }
    const std::optional<ErrorInfo> info = GetErrorInfo(passed.status());
    std::vector<FormError> errors =
        ErrorsFromRefusal(AsBookingFields(GetFieldViolations(passed.status())),
                          info ? info->reason : "");
    if (errors.empty()) return Failure(passed.status());
    return ask_again(std::move(errors));
  }
  mustache::data data;
  data.set("panel",
           Panel({{"titleText", "Your place has passed to your colleague"},
                  {"html",
                   absl::StrCat("Booking reference<br><strong>",
                                DisplayReference(reference), "</strong>")}}));
  data.set("text",
           "We have emailed your colleague the booking and their own link to "
           "manage it. Your link no longer opens this booking.");
  data.set("emailed", true);
  http::HttpResponse response =
      renderer_->Page({.title = "Your place has passed to your colleague",
                       .content = renderer_->Body("change_done", data)});
  ForgetManageCookies(reference, response);
  return response;
}

}  // namespace training::gateway::web

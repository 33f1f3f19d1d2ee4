// The booking flow: the form, check your answers, the booking itself and
// the confirmation.

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/text/text.h"
#include "gateway/web/components/components.h"
#include "gateway/web/display_format.h"
#include "gateway/web/page_parts.h"
#include "gateway/web/person_questions.h"
#include "gateway/web/web_http.h"
#include "gateway/web/web_pages.h"

namespace training::gateway::web {
namespace {

using Values = std::map<std::string, std::string>;

std::string BookPath(const std::string& session) {
  return absl::StrCat("/", session, "/book");
}

std::string AgencyLabel(const std::string& value) {
  for (const auto& [v, label] : AgencyTypeChoices()) {
    if (v == value) return label;
  }
  return "";
}

std::string OrNotGiven(const std::string& text) {
  return text.empty() ? "Not given" : text;
}

// Refusals that are about the session, not the answers: the session page
// says what happened.
bool SessionRefused(const absl::Status& status) {
  const std::optional<ErrorInfo> info = GetErrorInfo(status);
  if (!absl::IsFailedPrecondition(status) || !info) return false;
  return info->reason == "BOOKING_CLOSED" ||
         info->reason == "BOOKING_NOT_OPEN" ||
         info->reason == "SESSION_CANCELLED" ||
         info->reason == "COURSE_NOT_PUBLISHED";
}

// What differs between booking a place and sending a colleague in it.
struct Flow {
  std::string action;        // where the form posts
  std::string guard_action;  // what its guard token is bound to
  std::string back;          // the back link
  std::string heading;
  std::string purpose;  // "Check your answers before …"
  std::string noun;     // "Now send your …"
  std::string answers_heading;
  std::string declaration;  // above the button that sends
  std::string confirm_button;
};

Flow FlowOf(Person who, const std::string& session,
            const std::string& reference, bool full) {
  if (who == Person::kColleague) {
    const std::string manage = "/manage/" + reference;
    return {.action = manage + "/colleague",
            .guard_action = manage + "/colleague",
            .back = manage,
            .heading = "Send a colleague in your place",
            .purpose = "sending your colleague",
            .noun = "request",
            .answers_heading = "Your colleague's details",
            .declaration =
                "By sending this you confirm that your "
                "colleague's details are correct to the best of "
                "your knowledge, and that they agree to go in "
                "your place.",
            .confirm_button = "Send my colleague"};
  }
  return {.action = BookPath(session),
          .guard_action = BookPath(session),
          .back = "/" + session,
          .heading = full ? "Join the waiting list" : "Book a place",
          .purpose = full ? "joining the waiting list" : "booking",
          .noun = full ? "request" : "booking",
          .answers_heading = "Your details",
          .declaration =
              "By sending this you confirm that your details "
              "are correct to the best of your knowledge.",
          .confirm_button = full ? "Join the waiting list" : "Confirm booking"};
}

}  // namespace

std::optional<Values> WebPages::GuardedForm(const std::string& action,
                                            const http::HttpRequest& request,
                                            FormKey key) const {
  std::optional<Values> form = DecodeForm(request.body);
  if (!form ||
      !guard_->Check(request, FormValue(*form, kFormGuardField), action) ||
      (key == FormKey::kRequired &&
       !text::IsUuid(FormValue(*form, "request_id")))) {
    return std::nullopt;
  }
  return form;
}

absl::StatusOr<WebPages::FormPage> WebPages::LoadFormPage(
    const std::string& session, const PageCall& call) const {
  absl::StatusOr<catalogue::Session> details =
      suite_->GetSession(session, call);
  if (!details.ok()) return details.status();
  absl::StatusOr<std::vector<booking::Availability>> availability =
      suite_->Availability({session}, call);
  if (!availability.ok()) return availability.status();
  return FormPage{.session = session,
                  .details = *std::move(details),
                  .bookable = availability->front().bookable(),
                  .full = availability->front().remaining() <= 0};
}

http::HttpResponse WebPages::RenderForm(
    const FormPage& page, const http::HttpRequest& request) const {
  const FormGuard::Visitor visitor = guard_->VisitorOf(request);
  const Values values = FormFromAnswers(page.answers);
  const Flow flow = FlowOf(page.who, page.session, page.reference, page.full);
  mustache::data data;
  data.set("session_title", SessionTitle(page.details));
  data.set("when", SessionWhen(page.details));
  data.set("heading", flow.heading);
  data.set("colleague", page.who == Person::kColleague);
  if (page.full && page.who == Person::kSelf) {
    data.set("waiting", true);
    data.set("waiting_text",
             InsetText({{"text",
                         "This session is full. Give your details "
                         "to join its waiting list: if a place comes "
                         "free, we will email you an offer."}}));
  }
  data.set("action", flow.action);
  data.set("guard", guard_->Token(visitor, flow.guard_action));
  data.set("request_id", page.request_id);
  data.set("error_summary", ErrorSummaryFor(page.errors));
  PersonQuestions(page.who, values, page.errors, data);
  data.set("continue_button", Button({{"text", "Continue"}}));
  return guard_->WithCookie(
      renderer_->Page(
          {.title = flow.heading,
           .content = renderer_->Body("booking_form", data),
           .before_content = BackLink({{"href", flow.back}, {"text", "Back"}}),
           .has_errors = !page.errors.empty(),
           .status = page.errors.empty() ? 200 : 422}),
      visitor);
}

http::HttpResponse WebPages::RenderCheck(
    const FormPage& page, const http::HttpRequest& request) const {
  const FormGuard::Visitor visitor = guard_->VisitorOf(request);
  const BookingAnswers& a = page.answers;
  const Flow flow = FlowOf(page.who, page.session, page.reference, page.full);
  const bool self = page.who == Person::kSelf;
  mustache::data data;
  data.set("session_title", SessionTitle(page.details));
  data.set("purpose", flow.purpose);
  data.set("noun", flow.noun);
  data.set("answers_heading", flow.answers_heading);
  data.set("declaration", flow.declaration);
  data.set("session_summary",
           SummaryList({{"rows", SessionRows(page.details)}}));
  auto row = [](const char* key, const std::string& value) {
    return Params{{"key", {{"text", key}}}, {"value", {{"text", value}}}};
  };
  data.set(
      "answers_summary",
      SummaryList(
          {{"rows",
            Params::array(
                {row("Full name", a.full_name),
                 row("Work email address", a.email),
                 row("Work telephone number", OrNotGiven(a.phone)),
                 row("Organisation", a.organisation),
                 row("Kind of organisation", AgencyLabel(a.agency_type)),
                 row("Job title or role", a.job_role),
                 row("Line manager's email", OrNotGiven(a.line_manager)),
                 row(self ? "What you need to take part"
                          : "What they need to take part",
                     OrNotGiven(a.access_needs)),
                 row(self ? "Keeping your details" : "Keeping their details",
                     self ? "You agreed" : "Your colleague agreed")})}}));
  if (page.full && page.who == Person::kSelf) {
    data.set("waiting_warning",
             WarningText({{"text",
                           "This session is full. You are joining "
                           "the waiting list, not booking a place."}}));
  }
  data.set("confirm_action", flow.action + "/confirm");
  data.set("guard", guard_->Token(visitor, flow.guard_action));
  data.set("request_id", page.request_id);
  mustache::list hidden;
  for (const auto& [name, value] : FormFromAnswers(a)) {
    mustache::data field;
    field.set("name", name);
    field.set("value", value);
    hidden.push_back(field);
  }
  data.set("hidden", hidden);
  data.set("confirm_button", Button({{"text", flow.confirm_button},
                                     {"preventDoubleClick", true}}));
  data.set("change_button",
           Button({{"text", "Change your answers"},
                   {"name", "change"},
                   {"value", "yes"},
                   {"classes", "govuk-button--secondary"},
                   {"attributes", {{"formaction", flow.action}}}}));
  return guard_->WithCookie(
      renderer_->Page({.title = "Check your answers before " + flow.purpose,
                       .content = renderer_->Body("check_answers", data)}),
      visitor);
}

http::HttpResponse WebPages::BookingForm(const std::string& session,
                                         const http::HttpRequest& request,
                                         const PageCall& call) const {
  absl::StatusOr<FormPage> page = LoadFormPage(session, call);
  if (!page.ok()) return Failure(page.status());
  if (!page->bookable) return SeeOther("/" + session);
  page->request_id = NewUuid();
  return RenderForm(*page, request);
}

http::HttpResponse WebPages::BookingCheck(const std::string& session,
                                          const http::HttpRequest& request,
                                          const PageCall& call) const {
  std::optional<Values> form =
      GuardedForm(BookPath(session), request, FormKey::kOptional);
  if (!form) return Forbidden();
  absl::StatusOr<FormPage> page = LoadFormPage(session, call);
  if (!page.ok()) return Failure(page.status());
  page->answers = AnswersFromForm(*form);
  const std::string key = FormValue(*form, "request_id");
  page->request_id = text::IsUuid(key) ? key : NewUuid();
  if (FormValue(*form, "change") == "yes") return RenderForm(*page, request);
  page->errors = CheckAnswers(page->answers);
  if (!page->errors.empty()) return RenderForm(*page, request);
  return RenderCheck(*page, request);
}

http::HttpResponse WebPages::BookingConfirm(const std::string& session,
                                            const http::HttpRequest& request,
                                            const PageCall& call) const {
  std::optional<Values> form = GuardedForm(BookPath(session), request);
  if (!form) return Forbidden();
  const BookingAnswers answers = AnswersFromForm(*form);
  // Asks again with what the service or the rules say: the hidden fields
  // were changed, or the service refused an answer.
  auto ask_again = [&](std::vector<FormError> errors) {
    absl::StatusOr<FormPage> page = LoadFormPage(session, call);
    if (!page.ok()) return Failure(page.status(), true);
    page->answers = answers;
    page->errors = std::move(errors);
    page->request_id = FormValue(*form, "request_id");
    return RenderForm(*page, request);
  };
  if (std::vector<FormError> errors = CheckAnswers(answers); !errors.empty()) {
    return ask_again(std::move(errors));
  }
  booking::CreateBookingRequest create;
  // Bound to the session and every answer: a changed form (Back, "Change
  // your answers", a colleague's name) is a new booking, not a reuse of the
  // old key, which the booking service would refuse.
  create.set_request_id(DerivedRequestId(FormValue(*form, "request_id"),
                                         session, FormFromAnswers(answers)));
  booking::Booking* b = create.mutable_booking();
  b->set_session(session);
  *b->mutable_attendee() = AttendeeOf(answers);
  absl::StatusOr<booking::Booking> booked = suite_->CreateBooking(create, call);
  if (!booked.ok()) {
    if (SessionRefused(booked.status())) return SeeOther("/" + session);
    const std::optional<ErrorInfo> info = GetErrorInfo(booked.status());
    std::vector<FormError> errors = ErrorsFromRefusal(
        GetFieldViolations(booked.status()), info ? info->reason : "");
    if (errors.empty()) return Failure(booked.status(), true);
    return ask_again(std::move(errors));
  }
  http::HttpResponse response = SeeOther(
      absl::StrCat("/bookings/", booked->reference(), "/confirmation"));
  // A replay after the place passed to a colleague carries no token: the
  // colleague's alone.
  if (!booked->manage_token().empty()) {
    AddManageCookies(booked->reference(), booked->manage_token(), response);
  }
  return response;
}

http::HttpResponse WebPages::Confirmation(const std::string& reference,
                                          const http::HttpRequest& request,
                                          const PageCall& call) const {
  const std::optional<PageCall> holder = AsHolder(reference, request, call);
  if (!holder) return Manage(reference, request, call);
  absl::StatusOr<booking::Booking> b =
      suite_->GetBooking("bookings/" + reference, *holder);
  if (!b.ok()) return Failure(b.status());
  const bool confirmed = b->state() == booking::Booking::CONFIRMED;
  // Whatever happened since (an offer, a cancellation) is the manage page's.
  if (!confirmed && b->state() != booking::Booking::WAITLISTED) {
    return SeeOther("/manage/" + reference);
  }
  absl::StatusOr<catalogue::Session> session =
      suite_->GetSession(b->session(), call);
  if (!session.ok()) return Failure(session.status());
  mustache::data data;
  data.set("panel", ReferencePanel(confirmed ? "Booking confirmed"
                                             : "You are on the waiting list",
                                   reference));
  data.set("session_summary", SummaryList({{"rows", SessionRows(*session)}}));
  data.set("confirmed", confirmed);
  data.set("waiting", !confirmed);
  data.set("position", std::to_string(b->waitlist_position()));
  data.set("online", session->delivery_mode() == catalogue::ONLINE);
  data.set("calendar_url",
           absl::StrCat("/manage/", reference, "/calendar.ics"));
  data.set("manage_url", absl::StrCat("/manage/", reference, "/",
                                      ManageToken(reference, request)));
  return renderer_->Page(
      {.title = confirmed ? "Booking confirmed" : "You are on the waiting list",
       .content = renderer_->Body("confirmation", data)});
}

}  // namespace training::gateway::web

// The booking flow: the form, check your answers, the booking itself and
// the confirmation.

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/status/errors.h"
#include "common/text/text.h"
#include "gateway/web/components/components.h"
#include "gateway/web/display_format.h"
#include "gateway/web/web_http.h"
#include "gateway/web/web_pages.h"

namespace training::gateway::web {
namespace {

std::string BookPath(const std::string& session) {
  return absl::StrCat("/", session, "/book");
}

std::string SessionTitle(const catalogue::Session& s) {
  return s.title().empty() ? s.course_title() : s.title();
}

std::string When(const catalogue::Session& s) {
  return FormatSessionTime(absl::FromUnixSeconds(s.start_time().seconds()),
                           absl::FromUnixSeconds(s.end_time().seconds()),
                           ZoneOrLondon(s.time_zone()));
}

std::string ErrorOn(const std::vector<FormError>& errors,
                    const std::string& field) {
  for (const FormError& e : errors) {
    if (e.field == field) return e.message;
  }
  return "";
}

Params ErrorParam(const std::vector<FormError>& errors,
                  const std::string& field) {
  const std::string message = ErrorOn(errors, field);
  return message.empty() ? Params() : Params{{"text", message}};
}

// Whether booking now would join the waiting list.
bool Full(const std::vector<booking::Availability>& a) {
  return !a.empty() && a.front().remaining() <= 0;
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

Params SessionRows(const catalogue::Session& s) {
  return Params::array(
      {{{"key", {{"text", "Course"}}}, {"value", {{"text", SessionTitle(s)}}}},
       {{"key", {{"text", "Date and time"}}}, {"value", {{"text", When(s)}}}},
       {{"key", {{"text", "Where"}}},
        {"value",
         {{"text", s.delivery_mode() == catalogue::ONLINE
                       ? "Online"
                       : absl::StrCat("In person, ", s.area(), " area")}}}}});
}

std::string FieldOf(const std::map<std::string, std::string>& form,
                    const char* name) {
  auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

}  // namespace

std::string ManageCookieName(const std::string& reference) {
  return absl::StrCat("manage_", reference);
}

std::optional<std::map<std::string, std::string>> WebPages::GuardedForm(
    const std::string& session, const http::HttpRequest& request) const {
  std::optional<std::map<std::string, std::string>> form =
      DecodeForm(request.body);
  if (!form || !guard_->Check(request, FieldOf(*form, kFormGuardField),
                              BookPath(session))) {
    return std::nullopt;
  }
  return form;
}

absl::StatusOr<catalogue::Session> WebPages::SessionForForm(
    const std::string& session, const CallContext& call) const {
  return suite_->GetSession(session, call);
}

http::HttpResponse WebPages::RenderForm(
    const FormPage& page, const http::HttpRequest& request) const {
  const FormGuard::Visitor visitor = guard_->VisitorOf(request);
  const std::vector<FormError>& errors = page.errors;
  const std::map<std::string, std::string> values =
      FormFromAnswers(page.answers);
  auto value = [&](const char* name) { return values.at(name); };
  mustache::data data;
  data.set("session_title", SessionTitle(page.details));
  data.set("when", When(page.details));
  const bool waiting = page.full;
  data.set("heading", waiting ? "Join the waiting list" : "Book a place");
  if (waiting) {
    data.set("waiting", true);
    data.set("waiting_text",
             InsetText({{"text",
                         "This session is full. Give your details "
                         "to join its waiting list: if a place comes "
                         "free, we will email you an offer."}}));
  }
  data.set("action", BookPath(page.session));
  data.set("guard", guard_->Token(visitor, BookPath(page.session)));
  data.set("request_id", page.request_id);
  if (!errors.empty()) {
    Params list = Params::array();
    for (const FormError& e : errors) {
      list.push_back({{"text", e.message}, {"href", "#" + e.field}});
    }
    data.set("error_summary", ErrorSummary({{"titleText", "There is a problem"},
                                            {"errorList", list}}));
  }
  data.set("full_name",
           Input({{"id", "full_name"},
                  {"name", "full_name"},
                  {"value", value("full_name")},
                  {"autocomplete", "name"},
                  {"spellcheck", false},
                  {"label", {{"text", "Full name"}}},
                  {"hint", {{"text", "As it should appear on the register"}}},
                  {"errorMessage", ErrorParam(errors, "full_name")}}));
  data.set("email",
           Input({{"id", "email"},
                  {"name", "email"},
                  {"type", "email"},
                  {"value", value("email")},
                  {"autocomplete", "email"},
                  {"spellcheck", false},
                  {"label", {{"text", "Work email address"}}},
                  {"hint", {{"text", "We will send your confirmation here"}}},
                  {"errorMessage", ErrorParam(errors, "email")}}));
  data.set(
      "phone",
      Input({{"id", "phone"},
             {"name", "phone"},
             {"type", "tel"},
             {"value", value("phone")},
             {"autocomplete", "tel"},
             {"classes", "govuk-input--width-20"},
             {"label", {{"text", "Work telephone number (optional)"}}},
             {"hint", {{"text", "In case we need to reach you on the day"}}},
             {"errorMessage", ErrorParam(errors, "phone")}}));
  data.set("organisation",
           Input({{"id", "organisation"},
                  {"name", "organisation"},
                  {"value", value("organisation")},
                  {"autocomplete", "organization"},
                  {"label", {{"text", "Organisation"}}},
                  {"hint", {{"text", "The organisation you work for"}}},
                  {"errorMessage", ErrorParam(errors, "organisation")}}));
  Params items = Params::array();
  for (const auto& [v, label] : AgencyTypeChoices()) {
    items.push_back({{"value", v}, {"text", label}});
  }
  data.set("agency_type",
           Radios({{"name", "agency_type"},
                   {"value", value("agency_type")},
                   {"fieldset",
                    {{"legend",
                      {{"text", "What kind of organisation do you work for?"},
                       {"classes", "govuk-fieldset__legend--s"}}}}},
                   {"items", items},
                   {"errorMessage", ErrorParam(errors, "agency_type")}}));
  data.set("job_role",
           Input({{"id", "job_role"},
                  {"name", "job_role"},
                  {"value", value("job_role")},
                  {"autocomplete", "organization-title"},
                  {"label", {{"text", "Job title or role"}}},
                  {"errorMessage", ErrorParam(errors, "job_role")}}));
  data.set(
      "line_manager",
      Input({{"id", "line_manager"},
             {"name", "line_manager"},
             {"type", "email"},
             {"value", value("line_manager")},
             {"spellcheck", false},
             {"label", {{"text", "Your line manager's work email (optional)"}}},
             {"hint",
              {{"text",
                "We will let them know you have booked, if you "
                "give it"}}},
             {"errorMessage", ErrorParam(errors, "line_manager")}}));
  data.set("access_needs",
           Textarea({{"id", "access_needs"},
                     {"name", "access_needs"},
                     {"value", value("access_needs")},
                     {"label",
                      {{"text",
                        "Is there anything you need to take part? "
                        "(optional)"},
                       {"classes", "govuk-label--s"}}},
                     {"hint",
                      {{"text",
                        "For example, step-free access, a hearing "
                        "loop, large print or regular breaks. Only "
                        "the training team and your trainer see "
                        "this."}}},
                     {"errorMessage", ErrorParam(errors, "access_needs")}}));
  data.set("consent",
           Checkboxes(
               {{"name", "consent"},
                {"values", Params::array({value("consent")})},
                {"fieldset",
                 {{"legend",
                   {{"text", "Do you agree to us keeping your details?"},
                    {"classes", "govuk-fieldset__legend--s"}}}}},
                {"items", Params::array({{{"value", "yes"},
                                          {"text",
                                           "I agree to the partnership keeping "
                                           "these details for this booking, as "
                                           "the privacy notice describes"}}})},
                {"errorMessage", ErrorParam(errors, "consent")}}));
  data.set("continue_button", Button({{"text", "Continue"}}));
  http::HttpResponse response = renderer_->Page(
      {.title = waiting ? "Join the waiting list" : "Book a place",
       .content = renderer_->Body("booking_form", data),
       .before_content =
           BackLink({{"href", "/" + page.session}, {"text", "Back"}}),
       .has_errors = !errors.empty(),
       .status = errors.empty() ? 200 : 422});
  if (visitor.is_new) {
    response.headers.emplace_back("Set-Cookie",
                                  guard_->SetCookieHeader(visitor));
  }
  return response;
}

http::HttpResponse WebPages::RenderCheck(
    const FormPage& page, const http::HttpRequest& request) const {
  const FormGuard::Visitor visitor = guard_->VisitorOf(request);
  const BookingAnswers& a = page.answers;
  const bool waiting = page.full;
  mustache::data data;
  data.set("session_title", SessionTitle(page.details));
  data.set("purpose", waiting ? "joining the waiting list" : "booking");
  data.set("noun", waiting ? "request" : "booking");
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
                 row("What you need to take part", OrNotGiven(a.access_needs)),
                 row("Keeping your details", "You agreed")})}}));
  if (waiting) {
    data.set("waiting_warning",
             WarningText({{"text",
                           "This session is full. You are joining "
                           "the waiting list, not booking a place."}}));
  }
  data.set("confirm_action", BookPath(page.session) + "/confirm");
  data.set("guard", guard_->Token(visitor, BookPath(page.session)));
  data.set("request_id", page.request_id);
  mustache::list hidden;
  for (const auto& [name, value] : FormFromAnswers(a)) {
    mustache::data field;
    field.set("name", name);
    field.set("value", value);
    hidden.push_back(field);
  }
  data.set("hidden", hidden);
  data.set(
      "confirm_button",
      Button({{"text", waiting ? "Join the waiting list" : "Confirm booking"},
              {"preventDoubleClick", true}}));
  data.set("change_button",
           Button({{"text", "Change your answers"},
                   {"name", "change"},
                   {"value", "yes"},
                   {"classes", "govuk-button--secondary"},
                   {"attributes", {{"formaction", BookPath(page.session)}}}}));
  http::HttpResponse response = renderer_->Page(
      {.title = waiting ? "Check your answers before joining the waiting list"
                        : "Check your answers before booking",
       .content = renderer_->Body("check_answers", data)});
  if (visitor.is_new) {
    response.headers.emplace_back("Set-Cookie",
                                  guard_->SetCookieHeader(visitor));
  }
  return response;
}

http::HttpResponse WebPages::BookingForm(const std::string& session,
                                         const http::HttpRequest& request,
                                         const CallContext& call) const {
  absl::StatusOr<catalogue::Session> details = SessionForForm(session, call);
  if (!details.ok()) return Failure(details.status());
  absl::StatusOr<std::vector<booking::Availability>> availability =
      suite_->Availability({session}, call);
  if (!availability.ok()) return Failure(availability.status());
  if (!availability->front().bookable()) return SeeOther("/" + session);
  return RenderForm({.session = session,
                     .details = *details,
                     .full = Full(*availability),
                     .request_id = NewUuid()},
                    request);
}

http::HttpResponse WebPages::BookingCheck(const std::string& session,
                                          const http::HttpRequest& request,
                                          const CallContext& call) const {
  std::optional<std::map<std::string, std::string>> form =
      GuardedForm(session, request);
  if (!form) return Forbidden();
  auto field = [&](const char* name) { return FieldOf(*form, name); };
  absl::StatusOr<catalogue::Session> details = SessionForForm(session, call);
  if (!details.ok()) return Failure(details.status());
  absl::StatusOr<std::vector<booking::Availability>> availability =
      suite_->Availability({session}, call);
  if (!availability.ok()) return Failure(availability.status());
  FormPage page{.session = session,
                .details = *details,
                .answers = AnswersFromForm(*form),
                .full = Full(*availability),
                .request_id = text::IsUuid(field("request_id"))
                                  ? field("request_id")
                                  : NewUuid()};
  if (field("change") == "yes") return RenderForm(page, request);
  page.errors = CheckAnswers(page.answers);
  if (!page.errors.empty()) return RenderForm(page, request);
  return RenderCheck(page, request);
}

http::HttpResponse WebPages::BookingConfirm(const std::string& session,
                                            const http::HttpRequest& request,
                                            const CallContext& call) const {
  std::optional<std::map<std::string, std::string>> form =
      GuardedForm(session, request);
  auto field = [&](const char* name) { return FieldOf(*form, name); };
  if (!form || !text::IsUuid(field("request_id"))) return Forbidden();
  FormPage page{.session = session,
                .answers = AnswersFromForm(*form),
                .request_id = field("request_id")};
  page.errors = CheckAnswers(page.answers);
  if (!page.errors.empty()) {
    // The hidden fields were changed after the check: ask again.
    absl::StatusOr<catalogue::Session> details = SessionForForm(session, call);
    if (!details.ok()) return Failure(details.status(), true);
    page.details = *details;
    return RenderForm(page, request);
  }
  booking::CreateBookingRequest create;
  create.set_request_id(page.request_id);
  booking::Booking* b = create.mutable_booking();
  b->set_session(session);
  booking::Attendee* attendee = b->mutable_attendee();
  const BookingAnswers& a = page.answers;
  attendee->set_display_name(a.full_name);
  attendee->set_email(a.email);
  attendee->set_phone(a.phone);
  attendee->set_organisation(a.organisation);
  type::v1::AgencyType agency = type::v1::AGENCY_TYPE_UNSPECIFIED;
  type::v1::AgencyType_Parse(absl::AsciiStrToUpper(a.agency_type), &agency);
  attendee->set_agency_type(agency);
  attendee->set_job_role(a.job_role);
  attendee->set_line_manager_email(a.line_manager);
  attendee->set_access_needs(a.access_needs);
  attendee->set_consent_given(a.consent);
  absl::StatusOr<booking::Booking> booked = suite_->CreateBooking(create, call);
  if (!booked.ok()) {
    const std::optional<ErrorInfo> info = GetErrorInfo(booked.status());
    page.errors = ErrorsFromRefusal(GetFieldViolations(booked.status()),
                                    info ? info->reason : "");
    if (page.errors.empty()) return Failure(booked.status(), true);
    absl::StatusOr<catalogue::Session> details = SessionForForm(session, call);
    if (!details.ok()) return Failure(details.status(), true);
    page.details = *details;
    return RenderForm(page, request);
  }
  http::HttpResponse response = SeeOther(
      absl::StrCat("/bookings/", booked->reference(), "/confirmation"));
  CookieOptions cookie = options_.cookies;
  cookie.max_age = options_.manage_cookie_max_age;
  response.headers.emplace_back("Set-Cookie",
                                SetCookie(ManageCookieName(booked->reference()),
                                          booked->manage_token(), cookie));
  return response;
}

http::HttpResponse WebPages::Confirmation(const std::string& reference,
                                          const http::HttpRequest& request,
                                          const CallContext& call) const {
  const std::optional<CallContext> holder = AsHolder(reference, request, call);
  if (!holder) return Manage(reference, request, call);
  absl::StatusOr<booking::Booking> b =
      suite_->GetBooking("bookings/" + reference, *holder);
  if (!b.ok()) return Failure(b.status());
  absl::StatusOr<catalogue::Session> session =
      suite_->GetSession(b->session(), call);
  if (!session.ok()) return Failure(session.status());
  const bool confirmed = b->state() == booking::Booking::CONFIRMED;
  mustache::data data;
  data.set("panel",
           Panel({{"titleText", confirmed ? "Booking confirmed"
                                          : "You are on the waiting list"},
                  {"html",
                   absl::StrCat("Your reference<br><strong>",
                                DisplayReference(reference), "</strong>")}}));
  data.set("session_summary", SummaryList({{"rows", SessionRows(*session)}}));
  data.set("confirmed", confirmed);
  data.set("waiting", b->state() == booking::Booking::WAITLISTED);
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

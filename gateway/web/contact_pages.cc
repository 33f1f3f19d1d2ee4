// "Get in touch": the enquiry form, sent to the training team through the
// notification service (CreateEnquiry), and its confirmation. The edge
// counts each post against the enquiry limit as it does the API's; the
// notification service caps each address too.

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status/errors.h"
#include "common/text/text.h"
#include "gateway/web/components/components.h"
#include "gateway/web/page_parts.h"
#include "gateway/web/web_http.h"
#include "gateway/web/web_pages.h"

namespace training::gateway::web {
namespace {

using Values = std::map<std::string, std::string>;

constexpr char kContactPath[] = "/contact";

// How many sessions to come the form offers to ask about.
constexpr int kSessionsOffered = 50;

std::vector<FormError> CheckEnquiry(const Values& form) {
  std::vector<FormError> errors;
  const std::string name = TrimmedFormValue(form, "name");
  if (name.empty()) {
    errors.push_back({"name", "Enter your name"});
  } else if (text::Utf8Length(name) > 100) {
    errors.push_back({"name", "Name must be 100 characters or fewer"});
  }
  const std::string email = TrimmedFormValue(form, "email");
  if (email.empty()) {
    errors.push_back({"email", "Enter your work email address"});
  } else if (!text::IsValidEmail(email)) {
    errors.push_back({"email",
                      "Enter an email address in the correct format, like "
                      "name@example.com"});
  }
  const std::string session = TrimmedFormValue(form, "session");
  if (!session.empty() && !text::IsSessionName(session)) {
    errors.push_back({"session", "Select a session from the list"});
  }
  const std::string question = TrimmedFormValue(form, "question");
  if (question.empty()) {
    errors.push_back({"question", "Enter your question"});
  } else if (text::Utf8Length(question) > 5000) {
    errors.push_back(
        {"question", "Your question must be 5,000 characters or fewer"});
  }
  return errors;
}

}  // namespace

http::HttpResponse WebPages::ContactForm(const http::HttpRequest& request,
                                         const Values& values,
                                         const std::vector<FormError>& errors,
                                         const PageCall& call) const {
  const FormGuard::Visitor visitor = guard_->VisitorOf(request);
  auto value = [&](const char* name) { return TrimmedFormValue(values, name); };
  mustache::data data;
  data.set("error_summary", ErrorSummaryFor(errors));
  data.set("guard", guard_->Token(visitor, kContactPath));
  data.set("request_id",
           text::IsUuid(value("request_id")) ? value("request_id") : NewUuid());
  data.set("session_select", SessionSelect(value("session"), errors, call));
  data.set("name_input",
           Input({{"id", "name"},
                  {"name", "name"},
                  {"value", value("name")},
                  {"autocomplete", "name"},
                  {"spellcheck", false},
                  {"label", {{"text", "Your name"}}},
                  {"errorMessage", ErrorMessageFor(errors, "name")}}));
  data.set("email_input",
           Input({{"id", "email"},
                  {"name", "email"},
                  {"type", "email"},
                  {"value", value("email")},
                  {"autocomplete", "email"},
                  {"spellcheck", false},
                  {"label", {{"text", "Work email address"}}},
                  {"hint", {{"text", "We will reply to this address"}}},
                  {"errorMessage", ErrorMessageFor(errors, "email")}}));
  data.set("question_input",
           Textarea({{"id", "question"},
                     {"name", "question"},
                     {"value", value("question")},
                     {"rows", 8},
                     {"label", {{"text", "Your question"}}},
                     {"hint",
                      {{"text",
                        "Do not include personal details of "
                        "children or families you work with."}}},
                     {"errorMessage", ErrorMessageFor(errors, "question")}}));
  data.set("send_button", Button({{"text", "Send your question"},
                                  {"preventDoubleClick", true}}));
  http::HttpResponse response =
      renderer_->Page({.title = "Get in touch",
                       .content = renderer_->Body("contact", data),
                       .has_errors = !errors.empty(),
                       .status = errors.empty() ? 200 : 422});
  return guard_->WithCookie(std::move(response), visitor);
}

std::string WebPages::SessionSelect(const std::string& chosen,
                                    const std::vector<FormError>& errors,
                                    const PageCall& call) const {
  Params items =
      Params::array({{{"value", ""}, {"text", "Not about one session"}}});
  bool listed = chosen.empty();
  auto add = [&](const catalogue::Session& s) {
    items.push_back(
        {{"value", s.name()},
         {"text", absl::StrCat(SessionTitle(s), ", ", SessionWhen(s))}});
    listed = listed || s.name() == chosen;
  };
  // The sessions to come; without the catalogue, the question is still
  // asked, about no session.
  catalogue::ListSessionsRequest upcoming;
  upcoming.set_parent("courses/-");
  upcoming.set_page_size(kSessionsOffered);
  absl::StatusOr<catalogue::ListSessionsResponse> to_come =
      suite_->ListSessions(upcoming, call);
  if (to_come.ok()) {
    for (const catalogue::Session& s : to_come->sessions()) add(s);
  }
  // A later session, asked about from its page.
  if (!listed && text::IsSessionName(chosen)) {
    absl::StatusOr<catalogue::Session> s = suite_->GetSession(chosen, call);
    if (s.ok()) add(*s);
  }
  return Select({{"id", "session"},
                 {"name", "session"},
                 {"value", chosen},
                 {"label", {{"text", "Which session is it about? (optional)"}}},
                 {"items", items},
                 {"errorMessage", ErrorMessageFor(errors, "session")}});
}

http::HttpResponse WebPages::Contact(const http::HttpRequest& request,
                                     const PageCall& call) const {
  std::optional<Values> query = DecodeForm(request.Query());
  Values values;
  if (query) values["session"] = TrimmedFormValue(*query, "session");
  return ContactForm(request, values, {}, call);
}

http::HttpResponse WebPages::SendEnquiry(const http::HttpRequest& request,
                                         const PageCall& call) const {
  std::optional<Values> form = GuardedForm(kContactPath, request);
  if (!form) return Forbidden();
  if (std::vector<FormError> errors = CheckEnquiry(*form); !errors.empty()) {
    return ContactForm(request, *form, errors, call);
  }
  notification::CreateEnquiryRequest create;
  notification::Enquiry* e = create.mutable_enquiry();
  e->set_display_name(TrimmedFormValue(*form, "name"));
  e->set_email(TrimmedFormValue(*form, "email"));
  e->set_text(absl::StrReplaceAll(TrimmedFormValue(*form, "question"),
                                  {{"\r\n", "\n"}}));
  // A session since removed (an old page's form) leaves the question
  // about the programme in general rather than refused.
  if (const std::string session = TrimmedFormValue(*form, "session");
      text::IsSessionName(session) &&
      !absl::IsNotFound(suite_->GetSession(session, call).status())) {
    e->set_session(session);
  }
  create.set_request_id(DerivedRequestId(TrimmedFormValue(*form, "request_id"),
                                         "enquiry",
                                         {{"name", e->display_name()},
                                          {"email", e->email()},
                                          {"question", e->text()},
                                          {"session", e->session()}}));
  absl::StatusOr<notification::Enquiry> sent =
      suite_->CreateEnquiry(create, call);
  if (!sent.ok()) {
    const std::optional<ErrorInfo> info = GetErrorInfo(sent.status());
    if (info && info->reason == "ENQUIRY_LIMIT") {
      return ContactForm(
          request, *form,
          {{"email",
            "You have sent several questions from this address in "
            "the last hour. Wait an hour, or email the training "
            "team directly"}},
          call);
    }
    std::vector<FormError> errors;
    for (const FieldViolation& v : GetFieldViolations(sent.status())) {
      if (v.field == "enquiry.display_name") {
        errors.push_back({"name", "Enter your name, 100 characters or fewer"});
      } else if (v.field == "enquiry.email") {
        errors.push_back({"email",
                          "Enter a work email address, like "
                          "name@example.com"});
      } else if (v.field == "enquiry.text") {
        errors.push_back({"question", "Enter your question"});
      }
    }
    if (errors.empty()) return Failure(sent.status());
    return ContactForm(request, *form, errors, call);
  }
  return SeeOther("/contact/sent");
}

http::HttpResponse WebPages::EnquirySent() const {
  mustache::data data;
  data.set("panel", Panel({{"titleText", "Question sent"}}));
  return renderer_->Page({.title = "Question sent",
                          .content = renderer_->Body("contact_sent", data)});
}

}  // namespace training::gateway::web

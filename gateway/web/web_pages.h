#ifndef TRAINING_GATEWAY_WEB_WEB_PAGES_H_
#define TRAINING_GATEWAY_WEB_WEB_PAGES_H_

// The public pages: the programme, a session, the booking flow (form,
// check your answers, confirmation), the manage link and the prose pages.
// Each method answers one request, calling the services through the
// SuiteClient; they block, so they run on the web worker pool
// (WebHandler). Thread-safe.
//
// Personal data never goes in a URL: the form posts, the check page carries
// the answers in hidden fields, and the manage token travels only in the
// link people are sent, which the gateway trades for a cookie at once.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gateway/http/http_server.h"
#include "gateway/web/booking_form.h"
#include "gateway/web/form_guard.h"
#include "gateway/web/page_renderer.h"
#include "gateway/web/person_questions.h"
#include "gateway/web/suite_client.h"

namespace training::gateway::web {

struct WebOptions {
  CookieOptions cookies;
  // How long the cookie a manage link sets lasts.
  absl::Duration manage_cookie_max_age = absl::Hours(24 * 30);
  // Sessions per page of the programme.
  int page_size = 10;
};

// The changes a booking's holder can make from the manage page.
enum class BookingChange { kCancel, kLeave, kAccept, kDecline };

// Whether cancelling at `now` falls inside the course's late-cancellation
// `window` before the session's `start` (the booking service's rule).
bool CancellationWouldBeLate(absl::Time now, absl::Time start,
                             absl::Duration window);

class WebPages {
 public:
  WebPages(SuiteClient* suite, const PageRenderer* renderer,
           const FormGuard* guard, WebOptions options);

  // GET /: sessions to come, filtered by the query (course, month, mode,
  // area) and paged.
  http::HttpResponse Programme(const http::HttpRequest& request,
                               const PageCall& call) const;
  // GET /courses/{course}/sessions/{session}: with the course's reading
  // the visitor's booking opens.
  http::HttpResponse Session(const std::string& session,
                             const http::HttpRequest& request,
                             const PageCall& call) const;
  // GET /courses/{course}/sessions/{session}/book: the empty form.
  http::HttpResponse BookingForm(const std::string& session,
                                 const http::HttpRequest& request,
                                 const PageCall& call) const;
  // POST …/book: the answers checked; the form again with its mistakes, or
  // the check-your-answers page.
  http::HttpResponse BookingCheck(const std::string& session,
                                  const http::HttpRequest& request,
                                  const PageCall& call) const;
  // POST …/book/confirm: books with the form's idempotency key, sets the
  // manage cookie and sends the browser to the confirmation.
  http::HttpResponse BookingConfirm(const std::string& session,
                                    const http::HttpRequest& request,
                                    const PageCall& call) const;
  // GET /bookings/{reference}/confirmation (needs the manage cookie).
  http::HttpResponse Confirmation(const std::string& reference,
                                  const http::HttpRequest& request,
                                  const PageCall& call) const;
  // GET /manage/{reference}/{token}: the cookie, and a 303 to the URL
  // without the token.
  http::HttpResponse ManageLink(const std::string& reference,
                                const std::string& token) const;
  // GET /manage/{reference}: the booking as it stands.
  http::HttpResponse Manage(const std::string& reference,
                            const http::HttpRequest& request,
                            const PageCall& call) const;
  // GET /manage/{reference}/{cancel,leave,accept,decline}: what the change
  // means, and the button that makes it (the manage page when it does not
  // apply to the booking as it stands).
  http::HttpResponse ChangePage(BookingChange change,
                                const std::string& reference,
                                const http::HttpRequest& request,
                                const PageCall& call) const;
  // POST of the same: the change, with an idempotency key; 303 to its done
  // page (accepting: to the confirmation), or to the manage page when the
  // booking had moved on (an offer lapsed).
  http::HttpResponse MakeChange(BookingChange change,
                                const std::string& reference,
                                const http::HttpRequest& request,
                                const PageCall& call) const;
  // GET /manage/{reference}/{change}/done.
  http::HttpResponse ChangeDone(BookingChange change,
                                const std::string& reference,
                                const http::HttpRequest& request,
                                const PageCall& call) const;
  // GET /manage/{reference}/colleague: the colleague's details, asked as
  // the booking form asks them.
  http::HttpResponse ColleagueForm(const std::string& reference,
                                   const http::HttpRequest& request,
                                   const PageCall& call) const;
  // POST of the same: checked, then check your answers.
  http::HttpResponse ColleagueCheck(const std::string& reference,
                                    const http::HttpRequest& request,
                                    const PageCall& call) const;
  // POST …/colleague/confirm: the place passes (SubstituteAttendee); the
  // visitor's token stops opening the booking, so its cookie goes, and the
  // answer is a 303 to the done page.
  http::HttpResponse ColleagueConfirm(const std::string& reference,
                                      const http::HttpRequest& request,
                                      const PageCall& call) const;
  // GET …/colleague/done: the page saying the place passed, for the
  // browser that passed it in the last few minutes (else the manage page).
  http::HttpResponse ColleagueDone(const std::string& reference,
                                   const http::HttpRequest& request) const;
  // GET /manage/{reference}/calendar.ics.
  http::HttpResponse Calendar(const std::string& reference,
                              const http::HttpRequest& request,
                              const PageCall& call) const;

  // GET /learning: the learning material, searched (q) or listed, filtered
  // by kind and course, a page at a time.
  http::HttpResponse Learning(const http::HttpRequest& request,
                              const PageCall& call) const;
  // GET /learning/{article}.
  http::HttpResponse Article(const std::string& id,
                             const http::HttpRequest& request,
                             const PageCall& call) const;
  // GET /contact: the enquiry form (`session` in the query: a question
  // about that session).
  http::HttpResponse Contact(const http::HttpRequest& request,
                             const PageCall& call) const;
  // POST /contact: sends it; 303 to /contact/sent.
  http::HttpResponse SendEnquiry(const http::HttpRequest& request,
                                 const PageCall& call) const;
  // GET /contact/sent.
  http::HttpResponse EnquirySent() const;
  // GET /accessibility, /privacy, /cookies (`page` is the path's word).
  http::HttpResponse Prose(const std::string& page) const;
  http::HttpResponse NotFound() const;
  // 503 when every page worker is busy; not logged (a flood would flood
  // the log).
  http::HttpResponse Busy() const;
  // The page for a failure of the services: 503 with Retry-After when they
  // are unavailable, 404 for NOT_FOUND, else 500 (logged).
  http::HttpResponse Failure(const absl::Status& status,
                             bool booking_not_made = false) const;
  // A request refused by the form guard.
  http::HttpResponse Forbidden() const;
  // The page for the edge's 429 `refusal`, keeping its status and headers
  // (Retry-After, RateLimit-*).
  http::HttpResponse TooManyRequests(http::HttpResponse refusal) const;

 private:
  struct FormPage {
    std::string session{};
    catalogue::Session details{};
    bool bookable = false;  // inside its booking window, not cancelled
    bool full = false;      // booking now joins the waiting list
    BookingAnswers answers{};
    std::vector<FormError> errors{};
    std::string request_id{};  // the form's random key
    // kColleague: sending a colleague in the place of booking `reference`.
    Person who = Person::kSelf;
    std::string reference{};
    std::string holder_email{};  // kColleague: the address passing it on
  };
  // The booking whose manage cookie the visitor holds, read as its holder;
  // nullopt when there is no cookie or it no longer opens the booking (the
  // manage page then says so).
  struct HeldBooking {
    PageCall holder;
    booking::Booking booking;
  };
  std::optional<HeldBooking> ReadHeld(const std::string& reference,
                                      const http::HttpRequest& request,
                                      const PageCall& call) const;
  // The session a booking is for. An any-date waiting-list entry names
  // only its course until a place is offered: then a session without a
  // name, start or place, titled with the course and in the delivery mode
  // the entry accepts (unset for either).
  absl::StatusOr<catalogue::Session> SessionOfBooking(
      const booking::Booking& booking, const PageCall& call) const;
  // The contact form's choice of session: those to come, and `chosen`.
  std::string SessionSelect(const std::string& chosen,
                            const std::vector<FormError>& errors,
                            const PageCall& call) const;
  // The articles `list` asks for, as the holder of the first booking the
  // visitor holds (the restricted ones it opens too), else anonymously.
  absl::StatusOr<content::ListArticlesResponse> ListAsVisitor(
      content::ListArticlesRequest list, const http::HttpRequest& request,
      const PageCall& call) const;
  // The same for booking `b` as the holder read it.
  std::optional<FormPage> ColleaguePageOf(
      const std::string& reference, const absl::StatusOr<booking::Booking>& b,
      const PageCall& call, http::HttpResponse& refusal) const;
  // The colleague form's mistakes: the booking form's, and the holder's
  // own address given as the colleague's.
  static std::vector<FormError> ColleagueMistakes(const FormPage& page);
  // The change itself, as the booking's holder, under idempotency key
  // `id`.
  absl::StatusOr<booking::Booking> SendChange(BookingChange change,
                                              const std::string& name,
                                              const std::string& id,
                                              const std::string& reason,
                                              const PageCall& holder) const;
  // The confirmation page of a change, with the visitor's `errors` when asked
  // again.
  struct ChangeForm {
    const http::HttpRequest* request = nullptr;
    std::string reason{};  // as the visitor typed it
    std::vector<FormError> errors{};
  };
  http::HttpResponse RenderChange(BookingChange change,
                                  const std::string& reference,
                                  const booking::Booking& booking,
                                  const catalogue::Session& session,
                                  const ChangeForm& form,
                                  const PageCall& call) const;
  http::HttpResponse RenderForm(const FormPage& page,
                                const http::HttpRequest& request) const;
  http::HttpResponse RenderCheck(const FormPage& page,
                                 const http::HttpRequest& request) const;
  // The colleague form's page for the booking the visitor holds; nullopt
  // (with the answer in `refusal`) when it holds none or it is not
  // confirmed.
  std::optional<FormPage> LoadColleaguePage(const std::string& reference,
                                            const http::HttpRequest& request,
                                            const PageCall& call,
                                            http::HttpResponse& refusal) const;
  // The session and whether it is bookable and full, for the form pages.
  absl::StatusOr<FormPage> LoadFormPage(const std::string& session,
                                        const PageCall& call) const;
  // The cookies a manage token becomes: the token's own (Strict), and a
  // marker (Lax, opening nothing) that tells the manage page the visitor
  // has just followed the link from another site, whose redirect browsers
  // send without Strict cookies.
  void AddManageCookies(const std::string& reference, const std::string& token,
                        http::HttpResponse& response) const;
  // Their removal, once the token no longer opens the booking.
  void ForgetManageCookies(const std::string& reference,
                           http::HttpResponse& response) const;
  // The manage token the visitor holds for `reference`, "" when none.
  std::string ManageToken(const std::string& reference,
                          const http::HttpRequest& request) const;
  http::HttpResponse ContactForm(
      const http::HttpRequest& request,
      const std::map<std::string, std::string>& values,
      const std::vector<FormError>& errors, const PageCall& call) const;
  // The references of every booking whose manage cookie the visitor holds.
  std::vector<std::string> HeldReferences(
      const http::HttpRequest& request) const;
  // `call` with that token as its credential; nullopt when there is none.
  std::optional<PageCall> AsHolder(const std::string& reference,
                                   const http::HttpRequest& request,
                                   const PageCall& call) const;
  // Whether a posted form needs its random key (`request_id`, a UUID).
  enum class FormKey { kOptional, kRequired };
  // The posted form when it decodes, its guard token is good for the form
  // at `action`, and it carries its key when one is required; nullopt
  // otherwise (the caller answers with the 403 page).
  std::optional<std::map<std::string, std::string>> GuardedForm(
      const std::string& action, const http::HttpRequest& request,
      FormKey key = FormKey::kRequired) const;

  SuiteClient* suite_;
  const PageRenderer* renderer_;
  const FormGuard* guard_;
  WebOptions options_;
  // Rendered once: the edge may refuse a flood, and each refusal must cost
  // next to nothing.
  std::string too_many_body_;
};

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_WEB_PAGES_H_

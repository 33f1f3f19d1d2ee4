// The changes a booking's holder makes from the manage page: cancel a
// place, leave a waiting list, accept or decline an offered place. Each is
// a confirmation page (GET), the change (POST, guarded, with an
// idempotency key bound to the change and its fields) and a page saying it
// is done (GET, after a 303, so that a reload changes nothing).

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
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

// CancelBooking's limit on a reason, in characters.
constexpr size_t kMaxReasonLength = 500;

struct ChangeText {
  const char* path;  // after /manage/{reference}/
  const char* heading;
  const char* text;
  const char* button;
  bool destructive;  // a warning button
  const char* back_text;
  const char* done_title;
  const char* done_text;
  bool emailed;  // the notification service confirms the change by e-mail
};

const ChangeText& TextOf(BookingChange change) {
  static const ChangeText kCancel{
      "cancel",
      "Are you sure you want to cancel your place?",
      "Your place will go to the next person on the waiting list.",
      "Yes, cancel my place",
      true,
      "No, keep my place",
      "Booking cancelled",
      "Your place has been cancelled.",
      true};
  static const ChangeText kLeave{
      "leave",
      "Are you sure you want to leave the waiting list?",
      "You will not be offered a place on this session.",
      "Yes, leave the waiting list",
      true,
      "No, stay on the waiting list",
      "You have left the waiting list",
      "",
      true};
  static const ChangeText kAccept{"accept",
                                  "Accept the place",
                                  "",
                                  "Accept the place",
                                  false,
                                  "Back to your booking",
                                  "Booking confirmed",
                                  "",
                                  true};
  static const ChangeText kDecline{
      "decline",
      "Are you sure you want to decline the place?",
      "The place will go to the next person on the waiting list.",
      "Yes, decline the place",
      true,
      "No, go back",
      "Place declined",
      "You have declined the place.",
      false};
  switch (change) {
    case BookingChange::kCancel:
      return kCancel;
    case BookingChange::kLeave:
      return kLeave;
    case BookingChange::kAccept:
      return kAccept;
    case BookingChange::kDecline:
      return kDecline;
  }
  return kCancel;
}

// Whether the booking is in the state the change applies to. Once the
// session has started a place is no longer given up from these pages (the
// booking service would take it, but it frees nothing anyone could use).
bool Applies(BookingChange change, const booking::Booking& b,
             const catalogue::Session& session) {
  switch (change) {
    case BookingChange::kCancel:
      return b.state() == booking::Booking::CONFIRMED &&
             !HasStarted(session, absl::Now());
    case BookingChange::kLeave:
      return b.state() == booking::Booking::WAITLISTED;
    case BookingChange::kAccept:
    case BookingChange::kDecline:
      return b.state() == booking::Booking::OFFERED &&
             absl::FromUnixSeconds(b.offer().expire_time().seconds()) >
                 absl::Now();
  }
  return false;
}

// Whether the booking shows the change made (by this visitor).
bool Made(BookingChange change, const booking::Booking& b) {
  const booking::Cancellation::Cause cause = b.cancellation().cause();
  switch (change) {
    case BookingChange::kCancel:
      return b.state() == booking::Booking::CANCELLED &&
             cause == booking::Cancellation::ATTENDEE;
    case BookingChange::kLeave:
      return b.state() == booking::Booking::LEFT_WAITLIST;
    case BookingChange::kDecline:
      return b.state() == booking::Booking::CANCELLED &&
             cause == booking::Cancellation::OFFER_DECLINED;
    case BookingChange::kAccept:
      return b.state() == booking::Booking::CONFIRMED;
  }
  return false;
}

}  // namespace

bool CancellationWouldBeLate(absl::Time now, absl::Time start,
                             absl::Duration window) {
  return now >= start - window;
}

http::HttpResponse WebPages::ChangePage(BookingChange change,
                                        const std::string& reference,
                                        const http::HttpRequest& request,
                                        const PageCall& call) const {
  const std::optional<HeldBooking> held = ReadHeld(reference, request, call);
  if (!held) return Manage(reference, request, call);
  const booking::Booking* b = &held->booking;
  absl::StatusOr<catalogue::Session> session = SessionOfBooking(*b, call);
  if (!session.ok()) return Failure(session.status());
  if (!Applies(change, *b, *session)) return SeeOther("/manage/" + reference);
  return RenderChange(change, reference, *b, *session, {.request = &request},
                      call);
}

http::HttpResponse WebPages::RenderChange(BookingChange change,
                                          const std::string& reference,
                                          const booking::Booking& booking,
                                          const catalogue::Session& session,
                                          const ChangeForm& form,
                                          const PageCall& call) const {
  const http::HttpRequest& request = *form.request;
  const std::vector<FormError>& errors = form.errors;
  const std::string& reason = form.reason;
  const ChangeText& text = TextOf(change);
  const FormGuard::Visitor visitor = guard_->VisitorOf(request);
  const std::string manage = "/manage/" + reference;
  mustache::data data;
  data.set("reference", DisplayReference(reference));
  data.set("heading", text.heading);
  data.set("text", text.text);
  data.set("error_summary", ErrorSummaryFor(errors));
  data.set("session_summary", SummaryList({{"rows", SessionRows(session)}}));
  if (change == BookingChange::kCancel) {
    absl::StatusOr<catalogue::Course> course =
        suite_->GetCourse(booking.course(), call);
    if (!course.ok()) return Failure(course.status());
    if (CancellationWouldBeLate(
            absl::Now(), absl::FromUnixSeconds(session.start_time().seconds()),
            absl::Seconds(course->late_cancellation_window().seconds()))) {
      data.set("warning", WarningText({{"text",
                                        "The session is close. Cancelling now "
                                        "counts as a late cancellation in the "
                                        "training team's records."}}));
    }
    data.set("reason",
             Textarea({{"id", "reason"},
                       {"name", "reason"},
                       {"value", reason},
                       {"rows", 3},
                       {"errorMessage", ErrorMessageFor(errors, "reason")},
                       {"label",
                        {{"text", "Why are you cancelling? (optional)"},
                         {"classes", "govuk-label--s"}}},
                       {"hint",
                        {{"text",
                          "This helps the training team plan. Do not "
                          "give medical or personal details. Up to 500 "
                          "characters."}}}}));
  }
  if (change == BookingChange::kAccept) {
    const absl::TimeZone zone = ZoneOrLondon(session.time_zone());
    const absl::Time until =
        absl::FromUnixSeconds(booking.offer().expire_time().seconds());
    data.set("text", absl::StrCat("The place is held for you until ",
                                  FormatDateTime(until, zone), "."));
  }
  data.set("action", absl::StrCat(manage, "/", text.path));
  // Bound to this change's form alone: a token for leaving cannot cancel.
  data.set("guard",
           guard_->Token(visitor, absl::StrCat(manage, "/", text.path)));
  data.set("request_id", NewUuid());
  data.set("button",
           Button({{"text", text.button},
                   {"classes", text.destructive ? "govuk-button--warning" : ""},
                   {"preventDoubleClick", true}}));
  data.set("back_url", manage);
  data.set("back_text", text.back_text);
  http::HttpResponse response = renderer_->Page(
      {.title = text.heading,
       .content = renderer_->Body("confirm_change", data),
       .before_content = BackLink({{"href", manage}, {"text", "Back"}}),
       .has_errors = !errors.empty(),
       .status = errors.empty() ? 200 : 422});
  return guard_->WithCookie(std::move(response), visitor);
}

absl::StatusOr<booking::Booking> WebPages::SendChange(
    BookingChange change, const std::string& name, const std::string& id,
    const std::string& reason, const PageCall& holder) const {
  switch (change) {
    case BookingChange::kCancel: {
      booking::CancelBookingRequest r;
      r.set_name(name);
      r.set_reason(reason);
      r.set_request_id(id);
      return suite_->CancelBooking(r, holder);
    }
    case BookingChange::kLeave: {
      booking::LeaveWaitlistRequest r;
      r.set_name(name);
      r.set_request_id(id);
      return suite_->LeaveWaitlist(r, holder);
    }
    case BookingChange::kAccept: {
      booking::AcceptOfferRequest r;
      r.set_name(name);
      r.set_request_id(id);
      return suite_->AcceptOffer(r, holder);
    }
    case BookingChange::kDecline: {
      booking::DeclineOfferRequest r;
      r.set_name(name);
      r.set_request_id(id);
      return suite_->DeclineOffer(r, holder);
    }
  }
  return absl::InternalError("unknown change");
}

http::HttpResponse WebPages::MakeChange(BookingChange change,
                                        const std::string& reference,
                                        const http::HttpRequest& request,
                                        const PageCall& call) const {
  const std::string manage = "/manage/" + reference;
  std::optional<Values> form =
      GuardedForm(absl::StrCat(manage, "/", TextOf(change).path), request);
  if (!form) return Forbidden();
  const ChangeText& text = TextOf(change);
  // The booking service ends any active booking on Cancel: the change must
  // be the one the booking's state offers.
  const std::optional<HeldBooking> held = ReadHeld(reference, request, call);
  if (!held) return Manage(reference, request, call);
  const booking::Booking* current = &held->booking;
  absl::StatusOr<catalogue::Session> session = SessionOfBooking(*current, call);
  if (!session.ok()) return Failure(session.status());
  if (!Applies(change, *current, *session)) {
    // The form sent again after the change was made: where the first went.
    if (Made(change, *current)) {
      return SeeOther(
          change == BookingChange::kAccept
              ? absl::StrCat("/bookings/", reference, "/confirmation")
              : absl::StrCat(manage, "/", text.path, "/done"));
    }
    return SeeOther(manage);
  }
  // Line breaks are not kept in a cancellation's reason (one line).
  const std::string reason = absl::StrReplaceAll(
      FormValue(*form, "reason"), {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
  if (text::Utf8Length(reason) > kMaxReasonLength) {
    // The booking service's limit, asked again with the reason kept.
    return RenderChange(
        change, reference, *current, *session,
        {.request = &request,
         .reason = FormValue(*form, "reason"),
         .errors = {{"reason",
                     absl::StrCat("Your reason must be ", kMaxReasonLength,
                                  " characters or fewer")}}},
        call);
  }
  const std::string id = DerivedRequestId(
      FormValue(*form, "request_id"), absl::StrCat(text.path, ":", reference),
      {{"reason", reason}});
  absl::StatusOr<booking::Booking> changed =
      SendChange(change, "bookings/" + reference, id, reason, held->holder);
  // Refused because the booking moved on (the offer lapsed, the place was
  // already given up): the manage page says where it stands now.
  if (absl::IsFailedPrecondition(changed.status()) ||
      absl::IsNotFound(changed.status())) {
    return SeeOther(manage);
  }
  if (!changed.ok()) return Failure(changed.status());
  if (change == BookingChange::kAccept) {
    return SeeOther(absl::StrCat("/bookings/", reference, "/confirmation"));
  }
  return SeeOther(absl::StrCat(manage, "/", text.path, "/done"));
}

http::HttpResponse WebPages::ChangeDone(BookingChange change,
                                        const std::string& reference,
                                        const http::HttpRequest& request,
                                        const PageCall& call) const {
  // Only once the change is made: a bookmarked "done" page must not say a
  // booking was cancelled when it was not.
  const std::optional<HeldBooking> held = ReadHeld(reference, request, call);
  if (!held) return Manage(reference, request, call);
  const booking::Booking* b = &held->booking;
  // Accepting ends on the confirmation page, never here.
  const bool done = change != BookingChange::kAccept && Made(change, *b);
  if (!done) return SeeOther("/manage/" + reference);
  const ChangeText& text = TextOf(change);
  mustache::data data;
  data.set("panel", ReferencePanel(text.done_title, reference));
  data.set("text", text.done_text);
  data.set("emailed", text.emailed);
  return renderer_->Page({.title = text.done_title,
                          .content = renderer_->Body("change_done", data)});
}

}  // namespace training::gateway::web

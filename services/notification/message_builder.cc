#include "services/notification/message_builder.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/notification/message_plan.h"
#include "services/notification/mime_message.h"
#include "services/notification/template_render.h"

namespace training::notification {

absl::StatusOr<RenderedText> RenderText(
    const TemplateRevision& t,
    const std::map<std::string, std::string>& values) {
  RenderedText out;
  ASSIGN_OR_RETURN(out.subject, RenderTemplate(t.subject, values,
                                               TemplateFormat::kPlainText));
  ASSIGN_OR_RETURN(out.body,
                   RenderTemplate(t.body, values, TemplateFormat::kPlainText));
  if (!t.html_body.empty()) {
    ASSIGN_OR_RETURN(out.html_body, RenderTemplate(t.html_body, values,
                                                   TemplateFormat::kHtml));
  }
  return out;
}

absl::StatusOr<std::string> BuildMessage(
    const SenderConfig& sender, const RenderedText& text,
    const std::string& recipient, const std::string& message_id, absl::Time now,
    const std::optional<std::pair<CalendarEvent, CalendarMethod>>& calendar) {
  MailMessage m{.from_name = sender.team_name,
                .from_address = sender.team_email,
                .to_address = recipient,
                .subject = text.subject,
                .text_body = text.body,
                .html_body = text.html_body,
                .message_id = message_id,
                .date = now};
  if (calendar) {
    ASSIGN_OR_RETURN(m.calendar,
                     WriteCalendar(calendar->first, calendar->second));
    m.calendar_method = MethodName(calendar->second);
  }
  return WriteMime(m);
}

CalendarEvent BookingCalendarEvent(const SenderConfig& sender,
                                   const SessionDetails& session,
                                   const std::string& reference,
                                   const std::string& session_name,
                                   const CalendarPerson& attendee,
                                   int64_t sequence, absl::Time now) {
  CalendarEvent e;
  e.uid = CalendarUid(reference, session_name, sender.mail_domain);
  e.sequence = sequence;
  e.stamp = now;
  e.start = session.start;
  e.end = session.end;
  e.time_zone = session.time_zone;
  e.summary = session.title;
  e.description = absl::StrCat("Booking reference ", reference, ".");
  if (session.online) {
    e.location = session.joining_url.empty() ? "Online" : session.joining_url;
    e.url = session.joining_url;
  } else {
    e.location = session.address;
  }
  e.organizer = {sender.team_name, sender.team_email};
  e.attendee = attendee;
  return e;
}

}  // namespace training::notification

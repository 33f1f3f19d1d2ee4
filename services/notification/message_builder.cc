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

std::vector<NewDelivery> RenderMessages(
    const SenderConfig& sender, const TemplateRevision& tmpl,
    std::map<std::string, std::string> values, NewDelivery base,
    const std::optional<std::pair<CalendarEvent, CalendarMethod>>& calendar,
    const std::string& line_manager_email, absl::Time now) {
  std::vector<NewDelivery> out;
  base.template_name = absl::StrCat("templates/", tmpl.slug);
  base.template_revision = tmpl.revision;
  absl::StatusOr<RenderedText> text = RenderText(tmpl, values);
  absl::StatusOr<std::string> message =
      text.ok() ? BuildMessage(sender, *text, base.recipient, base.message_id,
                               now, calendar)
                : absl::StatusOr<std::string>(text.status());
  if (message.ok()) {
    base.message = *std::move(message);
    if (calendar) base.calendar_method = MethodName(calendar->second);
  } else {
    // A template that cannot be filled in, or a session the calendar
    // cannot carry (a joining link it refuses): nothing is sent.
    base.failure = std::string(message.status().message());
  }
  out.push_back(base);
  if (!tmpl.copy_line_manager || base.role != v1::Delivery::ATTENDEE ||
      line_manager_email.empty()) {
    return out;
  }
  CopyValues(values, sender.public_base_url);
  NewDelivery copy = std::move(base);
  copy.role = v1::Delivery::LINE_MANAGER;
  copy.recipient = line_manager_email;
  copy.calendar_method.clear();
  copy.message.clear();
  copy.failure.clear();
  copy.message_id = NewMessageId(sender.mail_domain);
  absl::StatusOr<RenderedText> copy_text = RenderText(tmpl, values);
  absl::StatusOr<std::string> copy_message =
      copy_text.ok() ? BuildMessage(sender, *copy_text, copy.recipient,
                                    copy.message_id, now, std::nullopt)
                     : absl::StatusOr<std::string>(copy_text.status());
  if (copy_message.ok()) {
    copy.message = *std::move(copy_message);
  } else {
    copy.failure = std::string(copy_message.status().message());
  }
  out.push_back(std::move(copy));
  return out;
}

absl::StatusOr<std::string> BuildMessage(
    const SenderConfig& sender, const RenderedText& text,
    const std::string& recipient, const std::string& message_id, absl::Time now,
    const std::optional<std::pair<CalendarEvent, CalendarMethod>>& calendar,
    const std::string& reply_to) {
  MailMessage m{.from_name = sender.team_name,
                .from_address = sender.team_email,
                .to_address = recipient,
                .subject = text.subject,
                .text_body = text.body,
                .html_body = text.html_body,
                .message_id = message_id,
                .date = now,
                .reply_to = reply_to};
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

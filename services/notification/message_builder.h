#ifndef TRAINING_SERVICES_NOTIFICATION_MESSAGE_BUILDER_H_
#define TRAINING_SERVICES_NOTIFICATION_MESSAGE_BUILDER_H_

// One message from its template, its values and (for invites) its calendar
// event: subject and bodies rendered, the calendar written, all of it as
// MIME. Plain C++: no gRPC, no SQL.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/notification/icalendar.h"
#include "services/notification/personalisation.h"
#include "services/notification/store.h"

namespace training::notification {

// Who sends, and where links point.
struct SenderConfig {
  std::string team_name = "Training team";
  std::string team_email = "training@localhost";
  // The domain of Message-IDs and calendar UIDs.
  std::string mail_domain = "localhost";
  // Where the public pages are (the manage link).
  std::string public_base_url = "http://localhost:8080";
};

struct RenderedText {
  std::string subject;
  std::string body;
  std::string html_body;
};

// The template filled in; INVALID_ARGUMENT naming a missing value.
absl::StatusOr<RenderedText> RenderText(
    const TemplateRevision& t,
    const std::map<std::string, std::string>& values);

// The whole message to `recipient`, with `calendar` as its invite part when
// given.
absl::StatusOr<std::string> BuildMessage(
    const SenderConfig& sender, const RenderedText& text,
    const std::string& recipient, const std::string& message_id, absl::Time now,
    const std::optional<std::pair<CalendarEvent, CalendarMethod>>& calendar,
    const std::string& reply_to = "");

// The message `base` describes, its template filled in with `values` and
// built (a failure to do either is recorded in it, to be stored FAILED),
// then the line manager's copy (same words, no invite, no manage link)
// when the template asks for one and `line_manager_email` is set.
// `base.recipient`, `.message_id` and `.role` say who the first is for.
std::vector<NewDelivery> RenderMessages(
    const SenderConfig& sender, const TemplateRevision& tmpl,
    std::map<std::string, std::string> values, NewDelivery base,
    const std::optional<std::pair<CalendarEvent, CalendarMethod>>& calendar,
    const std::string& line_manager_email, absl::Time now);

// The calendar event of a booking's place, as every message and the
// download describe it.
CalendarEvent BookingCalendarEvent(const SenderConfig& sender,
                                   const SessionDetails& session,
                                   const std::string& reference,
                                   const std::string& session_name,
                                   const CalendarPerson& attendee,
                                   int64_t sequence, absl::Time now);

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_MESSAGE_BUILDER_H_

#ifndef TRAINING_SERVICES_NOTIFICATION_ICALENDAR_H_
#define TRAINING_SERVICES_NOTIFICATION_ICALENDAR_H_

// Calendar invites (RFC 5545, with RFC 5546's methods) as Outlook and
// Google Calendar accept them: one VEVENT per booking under a stable UID,
// SEQUENCE raised on each change, METHOD REQUEST, CANCEL or PUBLISH (the
// add-to-calendar download), ORGANIZER (the training team) and ATTENDEE,
// DTSTAMP, the session's times in its own zone with that zone's VTIMEZONE
// (each transition around the session written out), LOCATION, and a URL.
// Lines end in CRLF and fold at 75 octets, never inside a UTF-8 sequence;
// text is escaped. Plain C++: no gRPC, no SQL.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace training::notification {

enum class CalendarMethod { kRequest, kCancel, kPublish };

struct CalendarPerson {
  std::string name;
  std::string email;
};

struct CalendarEvent {
  // Stable for a booking's place on a session across every message.
  std::string uid;
  // Raised on every message that changes the event (RFC 5546 §2.1.4).
  int64_t sequence = 0;
  // When the message was made: fixed when it is composed, so that a
  // retried send carries the same bytes.
  absl::Time stamp;
  absl::Time start;
  absl::Time end;
  std::string time_zone;  // IANA name of the session's zone
  std::string summary;    // the course's title
  std::string description;
  std::string location;  // the venue's address, or "Online"
  std::string url;       // the joining link or the booking's page; optional
  CalendarPerson organizer;
  CalendarPerson attendee;  // left out of PUBLISH (RFC 5546 §3.2.1)
};

// The whole VCALENDAR. INVALID_ARGUMENT naming the field for an empty uid,
// an end not after the start, a zone not in the zone database, an address
// or URL a calendar line could not carry.
absl::StatusOr<std::string> WriteCalendar(const CalendarEvent& event,
                                          CalendarMethod method);

// The method's name ("REQUEST"): also the `method` parameter of the
// text/calendar part, which must match.
const char* MethodName(CalendarMethod method);

// TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma, newline;
// other control characters dropped.
std::string EscapeText(absl::string_view text);

// One content line, folded at 75 octets (continuations start with a
// space), each part ending in CRLF.
std::string FoldLine(absl::string_view line);

// The VTIMEZONE of `zone` with every transition from a year before `from`
// to a year after `to` (a zone without any: one STANDARD observance).
absl::StatusOr<std::string> TimeZoneComponent(absl::string_view zone,
                                              absl::Time from, absl::Time to);

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_ICALENDAR_H_

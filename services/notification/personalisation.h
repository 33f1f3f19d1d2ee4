#ifndef TRAINING_SERVICES_NOTIFICATION_PERSONALISATION_H_
#define TRAINING_SERVICES_NOTIFICATION_PERSONALISATION_H_

// The values a message's placeholders are filled with, in the words of
// GOV.UK's style guide: "Tuesday 28 March 2027", "9:30am to 12:30pm", in
// the session's own time zone; the venue's address or "online"; the manage
// link. Plain C++: no gRPC, no SQL.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace training::notification {

// What a message says about the session.
struct SessionDetails {
  std::string title{};  // the session's own title, or its course's
  absl::Time start{};
  absl::Time end{};
  std::string time_zone{};  // IANA name
  bool online = false;
  std::string address{};      // the venue on one line; empty online
  std::string joining_url{};  // online, when released to the recipient
  std::string cancellation_reason{};
  // A waiting-list entry for any date of a course: no session yet, so no
  // date, time or place (`title` is the course's).
  bool any_date = false;
  std::string course{};  // `courses/{course}`
  bool cancelled = false;
};

// Who a message is for and what it is about.
struct BookingDetails {
  std::string name{};
  std::string reference{};
  std::string manage_token{};  // empty: no manage link (the replaced person)
};

// "Tuesday 28 March 2027" in `zone`.
std::string FormatDate(absl::Time time, const absl::TimeZone& zone);
// "9:30am", "10am", "12:15pm" in `zone`.
std::string FormatClock(absl::Time time, const absl::TimeZone& zone);

// `{public_base_url}/manage/{reference}/{token}`: the one shape of the
// manage link, which the web pages turn into a cookie and a redirect to a
// URL without the token.
std::string ManageLink(absl::string_view public_base_url,
                       absl::string_view reference, absl::string_view token);

// The values every message about a booking can use (message_plan.h's
// PlaceholdersFor), for the attendee's own message: INVALID_ARGUMENT when
// the session's zone is unknown. CopyValues turns them into a line
// manager's copy.
absl::StatusOr<std::map<std::string, std::string>> BaseValues(
    const BookingDetails& booking, const SessionDetails& session,
    absl::string_view public_base_url, absl::string_view team_email);

// `values` for the line manager's copy: `line_manager_copy` yes,
// `for_attendee` no, and the manage link (which opens the booking) replaced
// by the public pages' address.
void CopyValues(std::map<std::string, std::string>& values,
                absl::string_view public_base_url);

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_PERSONALISATION_H_

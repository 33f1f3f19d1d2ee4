#ifndef TRAINING_GATEWAY_WEB_DISPLAY_FORMAT_H_
#define TRAINING_GATEWAY_WEB_DISPLAY_FORMAT_H_

// How the pages write dates, times, places and references, in the GOV.UK
// style: "Monday 5 July 2027, 9:30am to 12:30pm", "10am", "midday",
// "3 places left". Plain C++; thread-safe.

#include <string>

#include "absl/time/time.h"

namespace training::gateway::web {

// "9:30am", "10am", "midday", "midnight".
std::string FormatClockTime(absl::Time t, const absl::TimeZone& zone);

// "Monday 5 July 2027".
std::string FormatDate(absl::Time t, const absl::TimeZone& zone);

// "Monday 5 July 2027, 9:30am".
std::string FormatDateTime(absl::Time t, const absl::TimeZone& zone);

// "Monday 5 July 2027, 9:30am to 12:30pm"; when the end falls on another
// day, "Monday 5 July 2027, 9:30am to Tuesday 6 July 2027, 4pm".
std::string FormatSessionTime(absl::Time start, absl::Time end,
                              const absl::TimeZone& zone);

// A booking reference as people read it: `K7QX-M4RA`.
std::string DisplayReference(const std::string& reference);

// The zone named by an IANA name; Europe/London when it is empty or not
// known (sessions default to it).
absl::TimeZone ZoneOrLondon(const std::string& name);

// "No places left", "1 place left", "12 places left".
std::string PlacesLeft(int remaining);

// "1 person waiting", "3 people waiting".
std::string PeopleWaiting(int waiting);

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_DISPLAY_FORMAT_H_

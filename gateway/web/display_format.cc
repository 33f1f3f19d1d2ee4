#include "gateway/web/display_format.h"

#include "absl/strings/str_cat.h"

namespace training::gateway::web {

std::string FormatClockTime(absl::Time t, const absl::TimeZone& zone) {
  const absl::CivilSecond local = absl::ToCivilSecond(t, zone);
  if (local.hour() == 12 && local.minute() == 0) return "midday";
  if (local.hour() == 0 && local.minute() == 0) return "midnight";
  const int hour12 = local.hour() % 12 == 0 ? 12 : local.hour() % 12;
  const char* suffix = local.hour() < 12 ? "am" : "pm";
  if (local.minute() == 0) return absl::StrCat(hour12, suffix);
  return absl::StrCat(hour12, ":", local.minute() < 10 ? "0" : "",
                      local.minute(), suffix);
}

std::string FormatDate(absl::Time t, const absl::TimeZone& zone) {
  // Not %e, which pads the day with a space.
  return absl::StrCat(absl::FormatTime("%A", t, zone), " ",
                      absl::ToCivilDay(t, zone).day(), " ",
                      absl::FormatTime("%B %Y", t, zone));
}

std::string FormatDateTime(absl::Time t, const absl::TimeZone& zone) {
  return absl::StrCat(FormatDate(t, zone), ", ", FormatClockTime(t, zone));
}

std::string FormatSessionTime(absl::Time start, absl::Time end,
                              const absl::TimeZone& zone) {
  const std::string start_date = FormatDate(start, zone);
  const std::string end_date = FormatDate(end, zone);
  std::string out =
      absl::StrCat(start_date, ", ", FormatClockTime(start, zone), " to ");
  if (end_date != start_date) absl::StrAppend(&out, end_date, ", ");
  absl::StrAppend(&out, FormatClockTime(end, zone));
  return out;
}

std::string DisplayReference(const std::string& reference) {
  return reference.size() == 8
             ? absl::StrCat(reference.substr(0, 4), "-", reference.substr(4))
             : reference;
}

absl::TimeZone ZoneOrLondon(const std::string& name) {
  absl::TimeZone zone;
  if (!name.empty() && absl::LoadTimeZone(name, &zone)) return zone;
  absl::LoadTimeZone("Europe/London", &zone);
  return zone;
}

std::string PlacesLeft(int remaining) {
  if (remaining <= 0) return "No places left";
  return absl::StrCat(remaining, remaining == 1 ? " place" : " places",
                      " left");
}

std::string PeopleWaiting(int waiting) {
  return absl::StrCat(waiting, waiting == 1 ? " person" : " people",
                      " waiting");
}

}  // namespace training::gateway::web

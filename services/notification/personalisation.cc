#include "services/notification/personalisation.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace training::notification {
namespace {

constexpr const char* kWeekdays[] = {"Monday",   "Tuesday", "Wednesday",
                                     "Thursday", "Friday",  "Saturday",
                                     "Sunday"};
constexpr const char* kMonths[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

int WeekdayIndex(absl::Weekday day) {
  switch (day) {
    case absl::Weekday::monday:
      return 0;
    case absl::Weekday::tuesday:
      return 1;
    case absl::Weekday::wednesday:
      return 2;
    case absl::Weekday::thursday:
      return 3;
    case absl::Weekday::friday:
      return 4;
    case absl::Weekday::saturday:
      return 5;
    case absl::Weekday::sunday:
      return 6;
  }
  return 0;
}

}  // namespace

std::string FormatDate(absl::Time time, const absl::TimeZone& zone) {
  const absl::CivilSecond local = zone.At(time).cs;
  return absl::StrFormat("%s %d %s %d",
                         kWeekdays[WeekdayIndex(absl::GetWeekday(local))],
                         local.day(), kMonths[local.month() - 1], local.year());
}

std::string FormatClock(absl::Time time, const absl::TimeZone& zone) {
  const absl::CivilSecond local = zone.At(time).cs;
  const int hour12 = local.hour() % 12 == 0 ? 12 : local.hour() % 12;
  const char* half = local.hour() < 12 ? "am" : "pm";
  if (local.minute() == 0) return absl::StrFormat("%d%s", hour12, half);
  return absl::StrFormat("%d:%02d%s", hour12, local.minute(), half);
}

std::string ManageLink(absl::string_view public_base_url,
                       absl::string_view reference, absl::string_view token) {
  return absl::StrCat(absl::StripSuffix(public_base_url, "/"), "/manage/",
                      reference, "/", token);
}

absl::StatusOr<std::map<std::string, std::string>> BaseValues(
    const BookingDetails& booking, const SessionDetails& session,
    absl::string_view public_base_url, absl::string_view team_email) {
  absl::TimeZone zone;
  if (session.any_date) {
    std::map<std::string, std::string> values =
        BaseValues(booking,
                   {.title = session.title, .time_zone = "Europe/London"},
                   public_base_url, team_email)
            .value_or(std::map<std::string, std::string>{});
    values["session_date"] = "the first date with a free place";
    values["session_time"] = "to be confirmed";
    values["place"] = "to be confirmed";
    return values;
  }
  if (!absl::LoadTimeZone(session.time_zone, &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("session.time_zone: '", session.time_zone,
                     "' is not in the zone database"));
  }
  std::map<std::string, std::string> values = {
      {"name", booking.name},
      {"reference", booking.reference},
      {"course_title", session.title},
      {"session_date", FormatDate(session.start, zone)},
      {"session_time", absl::StrCat(FormatClock(session.start, zone), " to ",
                                    FormatClock(session.end, zone))},
      {"time_zone",
       session.time_zone == "Europe/London" ? "UK time" : session.time_zone},
      {"place", session.online ? "online" : session.address},
      {"is_online", session.online ? "yes" : "no"},
      {"manage_link", booking.manage_token.empty()
                          ? std::string(public_base_url)
                          : ManageLink(public_base_url, booking.reference,
                                       booking.manage_token)},
      {"team_email", std::string(team_email)},
      {"line_manager_copy", "no"},
      {"for_attendee", "yes"},
  };
  return values;
}

void CopyValues(std::map<std::string, std::string>& values,
                absl::string_view public_base_url) {
  values["line_manager_copy"] = "yes";
  values["for_attendee"] = "no";
  values["manage_link"] = std::string(public_base_url);
  // Links for the attendee alone: the joining link, the feedback opt-out.
  if (values.contains("joining_link")) values["joining_link"] = "";
  if (values.contains("opt_out_link")) values["opt_out_link"] = "";
}

}  // namespace training::notification

#include "services/notification/icalendar.h"

#include <cstdlib>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace training::notification {
namespace {

// "+0100", "-0330".
std::string Offset(int seconds) {
  const int minutes = std::abs(seconds) / 60;
  return absl::StrFormat("%c%02d%02d", seconds < 0 ? '-' : '+', minutes / 60,
                         minutes % 60);
}

std::string LocalStamp(absl::CivilSecond civil) {
  return absl::StrFormat("%04d%02d%02dT%02d%02d%02d", civil.year(),
                         civil.month(), civil.day(), civil.hour(),
                         civil.minute(), civil.second());
}

std::string UtcStamp(absl::Time t) {
  return LocalStamp(absl::ToCivilSecond(t, absl::UTCTimeZone())) + "Z";
}

// A parameter value (CN): quoted, with what a quoted value cannot hold
// dropped (RFC 5545 §3.1: no DQUOTE, no control characters).
std::string ParamValue(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || (static_cast<unsigned char>(c) < 0x20) || c == 0x7f) {
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// An address a mailto: URI can carry on one line: no spaces, controls,
// or characters that would end the property.
bool IsPlainAddress(absl::string_view email) {
  if (email.empty() || email.find('@') == absl::string_view::npos) {
    return false;
  }
  for (char c : email) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '<' || c == '>' ||
        c == ',' || c == ';' || c == ':' || c == '\\') {
      return false;
    }
  }
  return true;
}

bool IsHttpUrl(absl::string_view url) {
  if (!absl::StartsWith(url, "https://") && !absl::StartsWith(url, "http://")) {
    return false;
  }
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// An IANA name from the zone database: never a path or a "file:" or
// "libc:" spec, which Abseil would also load.
bool LoadZone(absl::string_view name, absl::TimeZone* tz) {
  if (name.empty() || name.front() == '/' || absl::StrContains(name, "..") ||
      absl::StrContains(name, ":")) {
    return false;
  }
  return absl::LoadTimeZone(std::string(name), tz);
}

}  // namespace

const char* MethodName(CalendarMethod method) {
  switch (method) {
    case CalendarMethod::kRequest:
      return "REQUEST";
    case CalendarMethod::kCancel:
      return "CANCEL";
    case CalendarMethod::kPublish:
      return "PUBLISH";
  }
  return "PUBLISH";
}

std::string EscapeText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case ';':
        out += "\\;";
        break;
      case ',':
        out += "\\,";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) break;
        out += c;
    }
  }
  return out;
}

std::string FoldLine(absl::string_view line) {
  std::string out;
  size_t limit = 75;  // the first line's; continuations carry a space
  while (line.size() > limit) {
    size_t cut = limit;
    // Never between the bytes of one UTF-8 character.
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    absl::StrAppend(&out, line.substr(0, cut), "\r\n ");
    line.remove_prefix(cut);
    limit = 74;
  }
  absl::StrAppend(&out, line, "\r\n");
  return out;
}

absl::StatusOr<std::string> TimeZoneComponent(absl::string_view zone,
                                              absl::Time from, absl::Time to) {
  absl::TimeZone tz;
  if (!LoadZone(zone, &tz)) {
    return Invalid("time_zone", "not a zone of the zone database");
  }
  std::string out = FoldLine(absl::StrCat("TZID:", zone));
  const absl::Time first = absl::FromCivil(
      absl::CivilYear(absl::ToCivilYear(from, tz).year() - 1), tz);
  const absl::Time last = absl::FromCivil(
      absl::CivilYear(absl::ToCivilYear(to, tz).year() + 2), tz);
  int transitions = 0;
  absl::TimeZone::CivilTransition transition;
  for (absl::Time t = first;
       tz.NextTransition(t, &transition) && transitions < 16;) {
    const absl::TimeZone::TimeInfo info = tz.At(transition.to);
    const absl::Time at =
        info.kind == absl::TimeZone::TimeInfo::UNIQUE ? info.pre : info.trans;
    if (at >= last) break;
    const absl::TimeZone::CivilInfo before = tz.At(at - absl::Seconds(1));
    const absl::TimeZone::CivilInfo after = tz.At(at);
    const char* kind = after.is_dst ? "DAYLIGHT" : "STANDARD";
    absl::StrAppend(
        &out, "BEGIN:", kind, "\r\n", "DTSTART:", LocalStamp(transition.from),
        "\r\n", "TZOFFSETFROM:", Offset(before.offset), "\r\n",
        "TZOFFSETTO:", Offset(after.offset), "\r\n",
        FoldLine(absl::StrCat("TZNAME:", EscapeText(after.zone_abbr))),
        "END:", kind, "\r\n");
    ++transitions;
    t = at;
  }
  if (transitions == 0) {
    const absl::TimeZone::CivilInfo info = tz.At(from);
    absl::StrAppend(
        &out, "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n",
        "TZOFFSETFROM:", Offset(info.offset), "\r\n",
        "TZOFFSETTO:", Offset(info.offset), "\r\n",
        FoldLine(absl::StrCat("TZNAME:", EscapeText(info.zone_abbr))),
        "END:STANDARD\r\n");
  }
  return absl::StrCat("BEGIN:VTIMEZONE\r\n", out, "END:VTIMEZONE\r\n");
}

absl::StatusOr<std::string> WriteCalendar(const CalendarEvent& event,
                                          CalendarMethod method) {
  if (event.uid.empty() || !IsPlainAddress("x@" + event.uid)) {
    return Invalid("uid", "required, with no spaces or separators");
  }
  if (event.end <= event.start) return Invalid("end", "must be after start");
  if (!IsPlainAddress(event.organizer.email)) {
    return Invalid("organizer.email", "not an address a calendar can carry");
  }
  const bool with_attendee = method != CalendarMethod::kPublish;
  if (with_attendee && !IsPlainAddress(event.attendee.email)) {
    return Invalid("attendee.email", "not an address a calendar can carry");
  }
  if (!event.url.empty() && !IsHttpUrl(event.url)) {
    return Invalid("url", "must be an http(s) URL without spaces");
  }
  absl::TimeZone tz;
  if (!LoadZone(event.time_zone, &tz)) {
    return Invalid("time_zone", "not a zone of the zone database");
  }
  absl::StatusOr<std::string> zone =
      TimeZoneComponent(event.time_zone, event.start, event.end);
  if (!zone.ok()) return zone.status();

  std::string out = absl::StrCat(
      "BEGIN:VCALENDAR\r\n",
      "PRODID:-//Safeguarding Children Partnership//Training//EN\r\n",
      "VERSION:2.0\r\n", "CALSCALE:GREGORIAN\r\n",
      "METHOD:", MethodName(method), "\r\n", *zone, "BEGIN:VEVENT\r\n");
  auto line = [&out](absl::string_view text) {
    absl::StrAppend(&out, FoldLine(text));
  };
  line(absl::StrCat("UID:", event.uid));
  line(absl::StrCat("SEQUENCE:", event.sequence));
  line(absl::StrCat("DTSTAMP:", UtcStamp(event.stamp)));
  line(absl::StrCat("DTSTART;TZID=", event.time_zone, ":",
                    LocalStamp(absl::ToCivilSecond(event.start, tz))));
  line(absl::StrCat("DTEND;TZID=", event.time_zone, ":",
                    LocalStamp(absl::ToCivilSecond(event.end, tz))));
  line(absl::StrCat("SUMMARY:", EscapeText(event.summary)));
  if (!event.description.empty()) {
    line(absl::StrCat("DESCRIPTION:", EscapeText(event.description)));
  }
  if (!event.location.empty()) {
    line(absl::StrCat("LOCATION:", EscapeText(event.location)));
  }
  if (!event.url.empty()) line(absl::StrCat("URL:", event.url));
  line(absl::StrCat("ORGANIZER;CN=", ParamValue(event.organizer.name),
                    ":mailto:", event.organizer.email));
  if (with_attendee) {
    line(absl::StrCat("ATTENDEE;CN=", ParamValue(event.attendee.name),
                      ";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE",
                      ":mailto:", event.attendee.email));
  }
  line(method == CalendarMethod::kCancel ? "STATUS:CANCELLED"
                                         : "STATUS:CONFIRMED");
  line("TRANSP:OPAQUE");
  absl::StrAppend(&out, "END:VEVENT\r\nEND:VCALENDAR\r\n");
  return out;
}

}  // namespace training::notification

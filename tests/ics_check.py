#!/usr/bin/python3
"""Summarise the VEVENTs of an iCalendar file as JSON lines (icalendar).

Tests run it on an invitation the service mailed (an .ics part saved from the
SMTP sink's maildir) and compare its output with tests/ics_check.mjs, which
does the same with ical.js:
  /usr/bin/python3 tests/ics_check.py FILE.ics    (or the .ics on stdin)
One compact JSON object per VEVENT (as JSON.stringify writes it): method,
uid, sequence, dtstart_utc, dtend_utc (ISO 8601 UTC "2027-03-28T08:30:00Z";
"YYYY-MM-DD" for DATE values, no "Z" for floating times, "" when absent),
tzid, status, organizer, attendees (the address of a mailto: URI), location,
summary.
A TZID time is resolved with the calendar's own VTIMEZONE, not the system's
zone database; a TZID without a VTIMEZONE is an error. Exit status 1 and a
message on stderr when the input cannot be parsed.
"""

import datetime
import json
import sys

import icalendar


class CheckError(Exception):
    pass


def address(value):
    text = str(value)
    return text[7:] if text.lower().startswith("mailto:") else text


def embedded_zones(cal):
    """TZID -> tzinfo built from each VTIMEZONE of the calendar itself.

    icalendar 4.0.3's to_tz() expands RRULEs only up to 2038-12-31.
    """
    zones = {}
    for vtimezone in cal.walk("VTIMEZONE"):
        zones[str(vtimezone["TZID"])] = vtimezone.to_tz()
    return zones


def resolve(prop, zones):
    """The property's time as a UTC datetime, or a date / floating string."""
    value = prop.dt
    if not isinstance(value, datetime.datetime):
        return value.isoformat()
    tzid = prop.params.get("TZID")
    if tzid:
        if str(tzid) not in zones:
            raise CheckError(f"TZID {tzid} has no VTIMEZONE in the calendar")
        # icalendar 4.0.3 localises a known TZID with pytz (the system's
        # zone database); keep only the wall time and use the embedded zone.
        # pytz's localize() default (is_dst=False) puts a time in a
        # spring-forward gap at the offset before it, an ambiguous time at
        # standard time.
        wall = value.replace(tzinfo=None)
        own = zones[str(tzid)].localize(wall)
        system = getattr(value.tzinfo, "localize", None)
        if system and system(wall).utcoffset() != own.utcoffset():
            print(f"ics_check: {tzid} {wall.isoformat()}: embedded VTIMEZONE "
                  f"says UTC{own.strftime('%z')}, system zone database "
                  f"UTC{system(wall).strftime('%z')}", file=sys.stderr)
        value = own
    elif value.tzinfo is None:
        return value.isoformat()  # floating time
    utc = value.astimezone(datetime.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def end_of(event, zones):
    if "DTEND" in event:
        return resolve(event["DTEND"], zones)
    if "DURATION" in event and "DTSTART" in event:
        start = event["DTSTART"]
        end = icalendar.prop.vDDDTypes(start.dt + event["DURATION"].dt)
        end.params = start.params
        return resolve(end, zones)
    return ""


def summarise(cal):
    zones = embedded_zones(cal)
    method = str(cal.get("METHOD", ""))
    for event in cal.walk("VEVENT"):
        start = event.get("DTSTART")
        attendees = event.get("ATTENDEE", [])
        if not isinstance(attendees, list):
            attendees = [attendees]
        yield {
            "method": method,
            "uid": str(event.get("UID", "")),
            "sequence": int(event.get("SEQUENCE", 0)),
            "dtstart_utc": resolve(start, zones) if start else "",
            "dtend_utc": end_of(event, zones),
            "tzid": str(start.params.get("TZID", "")) if start else "",
            "status": str(event.get("STATUS", "")),
            "organizer": address(event.get("ORGANIZER", "")),
            "attendees": [address(a) for a in attendees],
            "location": str(event.get("LOCATION", "")),
            "summary": str(event.get("SUMMARY", "")),
        }


def main(argv):
    if len(argv) > 2:
        print("usage: ics_check.py [FILE.ics]", file=sys.stderr)
        return 2
    try:
        if len(argv) == 2 and argv[1] != "-":
            with open(argv[1], "rb") as f:
                data = f.read()
        else:
            data = sys.stdin.buffer.read()
        cal = icalendar.Calendar.from_ical(data)
        if cal.name != "VCALENDAR":
            raise CheckError(f"top-level component is {cal.name}")
        for component in cal.walk():  # VEVENT etc. only record bad values
            for name, error in component.errors:
                raise CheckError(f"{component.name} {name}: {error}")
        lines = [json.dumps(event, ensure_ascii=False,
                            separators=(",", ":"))
                 for event in summarise(cal)]
    except Exception as e:  # any parse failure is the checker's verdict
        print(f"ics_check: cannot parse calendar: {str(e)[:200]}",
              file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

// Summarise the VEVENTs of an iCalendar file as JSON lines (ical.js 2.2.1).
//
// The second opinion to tests/ics_check.py: tests run both on an invitation
// the service mailed and expect identical output lines.
//   node tests/ics_check.mjs FILE.ics    (or the .ics on stdin)
// One compact JSON object per VEVENT: method, uid, sequence, dtstart_utc,
// dtend_utc (ISO 8601 UTC "2027-03-28T08:30:00Z"; "YYYY-MM-DD" for DATE
// values, no "Z" for floating times, "" when absent), tzid, status,
// organizer, attendees (the address of a mailto: URI), location, summary.
// Every VTIMEZONE of the file is registered with ICAL.TimezoneService before
// any DTSTART is read, so TZID times follow the calendar's own definition
// (2.2.1 also finds a VTIMEZONE through the VEVENT's parent VCALENDAR); a
// TZID without a VTIMEZONE is an error. Exit status 1 and a message on
// stderr when the input cannot be parsed.

import { readFileSync } from "node:fs";
import ICAL from "ical.js";

class CheckError extends Error {}

function address(value) {
  const text = String(value ?? "");
  return text.toLowerCase().startsWith("mailto:") ? text.slice(7) : text;
}

function text(component, name) {
  const value = component.getFirstPropertyValue(name);
  return value === null || value === undefined ? "" : String(value);
}

// The time as "...Z" in UTC, or a date / floating wall time as is.
function resolve(time, tzid, zones) {
  if (time.isDate) {
    return time.toString();
  }
  if (tzid) {
    if (!zones.has(tzid)) {
      throw new CheckError(`TZID ${tzid} has no VTIMEZONE in the calendar`);
    }
  } else if (time.zone !== ICAL.Timezone.utcTimezone) {
    return time.toString(); // floating time
  }
  return time.toJSDate().toISOString().replace(/\.\d{3}Z$/, "Z");
}

function summarise(calendar) {
  const zones = new Set();
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    const zone = new ICAL.Timezone(vtimezone);
    ICAL.TimezoneService.register(zone);
    zones.add(zone.tzid);
  }
  const method = text(calendar, "method");
  return calendar.getAllSubcomponents("vevent").map((event) => {
    const startProp = event.getFirstProperty("dtstart");
    const tzid = startProp?.getParameter("tzid") ?? "";
    const start = startProp?.getFirstValue();
    let end = "";
    const endProp = event.getFirstProperty("dtend");
    if (endProp) {
      end = resolve(endProp.getFirstValue(),
                    endProp.getParameter("tzid"), zones);
    } else if (start && event.hasProperty("duration")) {
      const endTime = start.clone();
      endTime.addDuration(event.getFirstPropertyValue("duration"));
      end = resolve(endTime, tzid, zones);
    }
    return {
      method,
      uid: text(event, "uid"),
      sequence: Number(event.getFirstPropertyValue("sequence") ?? 0),
      dtstart_utc: start ? resolve(start, tzid, zones) : "",
      dtend_utc: end,
      tzid,
      status: text(event, "status"),
      organizer: address(event.getFirstPropertyValue("organizer")),
      attendees: event.getAllProperties("attendee")
        .map((p) => address(p.getFirstValue())),
      location: text(event, "location"),
      summary: text(event, "summary"),
    };
  });
}

function main(argv) {
  if (argv.length > 1) {
    process.stderr.write("usage: node ics_check.mjs [FILE.ics]\n");
    return 2;
  }
  let lines;
  try {
    const path = argv.length === 1 && argv[0] !== "-" ? argv[0] : 0;
    const jcal = ICAL.parse(readFileSync(path, "utf8"));
    if (!Array.isArray(jcal) || typeof jcal[0] !== "string") {
      throw new CheckError("expected exactly one top-level component");
    }
    const calendar = new ICAL.Component(jcal);
    if (calendar.name !== "vcalendar") {
      throw new CheckError(`top-level component is ${calendar.name}`);
    }
    lines = summarise(calendar).map((event) => JSON.stringify(event));
  } catch (e) {
    const message = String(e?.message ?? e).slice(0, 200);
    process.stderr.write(`ics_check: cannot parse calendar: ${message}\n`);
    return 1;
  }
  process.stdout.write(lines.map((line) => line + "\n").join(""));
  return 0;
}

process.exitCode = main(process.argv.slice(2));

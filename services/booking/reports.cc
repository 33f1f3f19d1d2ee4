#include "services/booking/reports.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/time/proto_time.h"

namespace training::booking {
namespace {

void Count(const ReachFact& fact, v1::ReachFigures& figures) {
  figures.set_bookings(figures.bookings() + 1);
  if (fact.confirm_time) figures.set_confirmed(figures.confirmed() + 1);
  if (fact.state == v1::Booking::WAITLISTED) {
    figures.set_waiting(figures.waiting() + 1);
  }
  if (fact.state == v1::Booking::CANCELLED) {
    figures.set_cancellations(figures.cancellations() + 1);
    if (fact.late) {
      figures.set_late_cancellations(figures.late_cancellations() + 1);
    }
  }
  if (fact.attendance == v1::ATTENDED) {
    figures.set_attended(figures.attended() + 1);
  }
  if (fact.attendance == v1::NO_SHOW) {
    figures.set_no_shows(figures.no_shows() + 1);
  }
}

void SetRate(v1::ReachFigures& figures) {
  const int recorded = figures.attended() + figures.no_shows();
  figures.set_attendance_rate(
      recorded == 0 ? 0.0 : static_cast<double>(figures.attended()) / recorded);
}

// RFC 4180: quoted when it holds a quote, comma, semicolon or line break; a
// leading formula character is defused for spreadsheets. So is any cell
// with a semicolon: a spreadsheet set to `;` separators would otherwise
// split it and run what follows as a formula (`Acme;=HYPERLINK(...)`).
std::string CsvField(absl::string_view text) {
  const bool formula =
      (!text.empty() && absl::string_view("=+-@\t\r").find(text[0]) !=
                            absl::string_view::npos) ||
      text.find(';') != absl::string_view::npos;
  const std::string field = absl::StrCat(formula ? "'" : "", text);
  if (field.find_first_of("\",;\r\n") == std::string::npos) return field;
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string CsvRow(absl::string_view section, absl::string_view agency_type,
                   absl::string_view organisation, absl::string_view course,
                   const v1::ReachFigures* figures, int unmet_demand) {
  std::vector<std::string> cells = {CsvField(section), CsvField(agency_type),
                                    CsvField(organisation), CsvField(course)};
  if (figures != nullptr) {
    for (int n : {figures->bookings(), figures->confirmed(), figures->waiting(),
                  figures->cancellations(), figures->late_cancellations(),
                  figures->attended(), figures->no_shows()}) {
      cells.push_back(absl::StrCat(n));
    }
    cells.push_back(absl::StrFormat("%.4f", figures->attendance_rate()));
    cells.push_back("");
  } else {
    cells.resize(cells.size() + 8);
    cells.push_back(absl::StrCat(unmet_demand));
  }
  return absl::StrCat(absl::StrJoin(cells, ","), "\r\n");
}

std::string TypeName(int agency_type) {
  return type::v1::AgencyType_Name(
      static_cast<type::v1::AgencyType>(agency_type));
}

}  // namespace

bool WaitingAt(const ReachFact& fact, absl::Time t) {
  const bool confirmed_on_creation =
      fact.confirm_time && *fact.confirm_time <= fact.create_time;
  return !confirmed_on_creation && fact.create_time < t &&
         (!fact.confirm_time || *fact.confirm_time >= t) &&
         (!fact.cancel_time || *fact.cancel_time >= t);
}

v1::ReachReport BuildReachReport(const std::vector<ReachFact>& facts,
                                 const std::vector<SessionStart>& sessions,
                                 absl::Time start, absl::Time end,
                                 absl::Time now) {
  v1::ReachReport report;
  *report.mutable_start_time() = ToProto(start);
  *report.mutable_end_time() = ToProto(end);
  struct Organisation {
    v1::ReachFigures figures;
    std::map<int, int> bookings_by_type;
  };
  std::map<int, v1::ReachFigures> by_type;
  std::map<std::string, Organisation> by_organisation;
  std::map<std::string, std::vector<const ReachFact*>> by_session;
  for (const ReachFact& fact : facts) {
    Count(fact, *report.mutable_totals());
    Count(fact, by_type[fact.agency_type]);
    Organisation& organisation = by_organisation[fact.organisation];
    Count(fact, organisation.figures);
    ++organisation.bookings_by_type[fact.agency_type];
    by_session[fact.session].push_back(&fact);
  }
  SetRate(*report.mutable_totals());
  for (auto& [agency_type, figures] : by_type) {
    auto* row = report.add_agency_types();
    row->set_agency_type(static_cast<type::v1::AgencyType>(agency_type));
    SetRate(figures);
    *row->mutable_figures() = figures;
  }
  for (auto& [name, organisation] : by_organisation) {
    auto* row = report.add_organisations();
    row->set_organisation(name);
    // The most common type among its bookings; the lowest on a tie.
    int best_type = 0, best_count = 0;
    for (const auto& [agency_type, count] : organisation.bookings_by_type) {
      if (count > best_count) best_type = agency_type, best_count = count;
    }
    row->set_agency_type(static_cast<type::v1::AgencyType>(best_type));
    SetRate(organisation.figures);
    *row->mutable_figures() = organisation.figures;
  }
  std::map<std::string, int> demand;
  for (const SessionStart& session : sessions) {
    int& unmet = demand[session.course];
    if (!session.scheduled || session.start > now) continue;
    for (const ReachFact* fact : by_session[session.session]) {
      if (WaitingAt(*fact, session.start)) ++unmet;
    }
  }
  for (const auto& [course, unmet] : demand) {
    auto* row = report.add_course_demand();
    row->set_course(course);
    row->set_unmet_demand(unmet);
  }
  return report;
}

std::string ReachReportCsv(const v1::ReachReport& report) {
  std::string csv =
      "section,agency_type,organisation,course,bookings,confirmed,waiting,"
      "cancellations,late_cancellations,attended,no_shows,attendance_rate,"
      "unmet_demand\r\n";
  csv += CsvRow("total", "", "", "", &report.totals(), 0);
  for (const auto& row : report.agency_types()) {
    csv += CsvRow("agency_type", TypeName(row.agency_type()), "", "",
                  &row.figures(), 0);
  }
  for (const auto& row : report.organisations()) {
    csv += CsvRow("organisation", TypeName(row.agency_type()),
                  row.organisation(), "", &row.figures(), 0);
  }
  for (const auto& row : report.course_demand()) {
    csv += CsvRow("course", "", "", row.course(), nullptr, row.unmet_demand());
  }
  return csv;
}

v1::BookingHistory HistoryOf(const v1::Booking& b,
                             std::optional<absl::Time> attendance_time) {
  std::vector<std::pair<absl::Time, std::string>> entries;
  const absl::Time created = FromProto(b.create_time());
  const bool confirmed = IsSet(b.confirm_time());
  const bool confirmed_on_creation =
      confirmed && FromProto(b.confirm_time()) <= created;
  entries.emplace_back(created,
                       confirmed_on_creation ? "booked" : "waitlisted");
  if (b.has_offer()) {
    entries.emplace_back(FromProto(b.offer().offer_time()), "offered");
  }
  if (confirmed && !confirmed_on_creation) {
    entries.emplace_back(FromProto(b.confirm_time()), "confirmed");
  }
  for (const v1::Substitution& s : b.substitutions()) {
    entries.emplace_back(FromProto(s.substitute_time()), "substituted");
  }
  if (b.has_cancellation()) {
    entries.emplace_back(FromProto(b.cancellation().cancel_time()),
                         "cancelled");
  }
  if (attendance_time) {
    entries.emplace_back(*attendance_time, "attendance_recorded");
  }
  std::stable_sort(
      entries.begin(), entries.end(),
      [](const auto& x, const auto& y) { return x.first < y.first; });
  v1::BookingHistory history;
  for (const auto& [when, action] : entries) {
    auto* entry = history.add_entries();
    *entry->mutable_event_time() = ToProto(when);
    entry->set_action(action);
  }
  return history;
}

}  // namespace training::booking

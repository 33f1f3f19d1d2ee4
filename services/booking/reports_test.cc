// The report rules on hand-made facts: reach figures by agency type and
// organisation, unmet demand, participation order, CSV that parses back to
// the same figures, and a booking's history.

#include "services/booking/reports.h"

#include "absl/strings/numbers.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::booking {
namespace {

using ::testing::ElementsAre;
namespace type = training::type::v1;

const absl::Time kStart = absl::FromUnixSeconds(1800000000);
const absl::Time kNow = kStart + absl::Hours(24 * 40);

ReachFact Fact(const std::string& session, const std::string& organisation,
               type::AgencyType agency_type, v1::Booking::State state) {
  ReachFact f;
  f.course = session.substr(0, session.find("/sessions/"));
  f.session = session;
  f.organisation = organisation;
  f.email_key = organisation + "-person@example.org";
  f.agency_type = agency_type;
  f.state = state;
  f.create_time = kStart;
  if (state == v1::Booking::CONFIRMED) f.confirm_time = kStart;
  return f;
}

// An RFC 4180 reader written apart from the writer, to read the export back.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
      was_quoted = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      was_quoted = false;
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  if (rows.back().empty() && field.empty()) rows.pop_back();
  return rows;
}

class ReachReportTest : public ::testing::Test {
 protected:
  // Two sessions of one course and one of another, eleven bookings.
  void SetUp() override {
    const std::string s1 = "courses/intro-mi/sessions/s1";
    const std::string s2 = "courses/intro-mi/sessions/s2";
    const std::string s3 = "courses/adv-mi/sessions/s3";
    sessions_ = {{"courses/intro-mi", s1, kStart + absl::Hours(24 * 10), true},
                 {"courses/intro-mi", s2, kStart + absl::Hours(24 * 50), true},
                 {"courses/adv-mi", s3, kStart + absl::Hours(24 * 20), false}};
    // Northshire NHS: two attended, one no-show, one late cancellation.
    for (v1::Attendance a : {v1::ATTENDED, v1::ATTENDED, v1::NO_SHOW}) {
      facts_.push_back(
          Fact(s1, "Northshire NHS", type::HEALTH, v1::Booking::CONFIRMED));
      facts_.back().attendance = a;
    }
    ReachFact late =
        Fact(s1, "Northshire NHS", type::HEALTH, v1::Booking::CANCELLED);
    late.confirm_time = kStart;
    late.cancel_time = kStart + absl::Hours(24 * 9);
    late.late = true;
    facts_.push_back(late);
    // "Smith, Jones & Co" (a comma and an ampersand), police: one waited and
    // was never promoted before s1 started, one promoted before the start.
    ReachFact waited =
        Fact(s1, "Smith, Jones & Co", type::POLICE, v1::Booking::WAITLISTED);
    facts_.push_back(waited);
    ReachFact promoted =
        Fact(s1, "Smith, Jones & Co", type::POLICE, v1::Booking::CONFIRMED);
    promoted.confirm_time = kStart + absl::Hours(24 * 5);
    promoted.attendance = v1::ATTENDED;
    facts_.push_back(promoted);
    // An organisation written as a formula, with a quote: one who left the
    // list before the start (not unmet), booked as education once and
    // health twice.
    ReachFact left =
        Fact(s1, "=\"Bad\" Org", type::EDUCATION, v1::Booking::LEFT_WAITLIST);
    left.cancel_time = kStart + absl::Hours(24);
    facts_.push_back(left);
    facts_.push_back(
        Fact(s2, "=\"Bad\" Org", type::HEALTH, v1::Booking::WAITLISTED));
    facts_.push_back(
        Fact(s2, "=\"Bad\" Org", type::HEALTH, v1::Booking::CONFIRMED));
    // The cancelled session s3: an early cancellation by the session.
    ReachFact by_session =
        Fact(s3, "Northshire NHS", type::HEALTH, v1::Booking::CANCELLED);
    by_session.confirm_time = kStart;
    by_session.cancel_time = kStart + absl::Hours(24 * 3);
    facts_.push_back(by_session);
    // An erased attendee keeps organisation and type.
    ReachFact erased =
        Fact(s2, "Smith, Jones & Co", type::POLICE, v1::Booking::CONFIRMED);
    erased.email_key.clear();
    facts_.push_back(erased);
  }

  std::vector<ReachFact> facts_;
  std::vector<SessionStart> sessions_;
};

TEST_F(ReachReportTest, FiguresMatchHandCounts) {
  v1::ReachReport report = BuildReachReport(
      facts_, sessions_, kStart, kStart + absl::Hours(24 * 60), kNow);

  // Totals: 11 bookings; confirmed at some point: 3 + late + promoted + s2
  // confirmed + s3 + erased = 8; waiting now: 2; cancelled: 2 (1 late);
  // attended 3, no-show 1.
  const v1::ReachFigures& t = report.totals();
  EXPECT_EQ(t.bookings(), 11);
  EXPECT_EQ(t.confirmed(), 8);
  EXPECT_EQ(t.waiting(), 2);
  EXPECT_EQ(t.cancellations(), 2);
  EXPECT_EQ(t.late_cancellations(), 1);
  EXPECT_EQ(t.attended(), 3);
  EXPECT_EQ(t.no_shows(), 1);
  EXPECT_DOUBLE_EQ(t.attendance_rate(), 0.75);

  ASSERT_EQ(report.agency_types_size(), 3);  // HEALTH(3), EDUCATION(4), POLICE
  EXPECT_EQ(report.agency_types(0).agency_type(), type::HEALTH);
  EXPECT_EQ(report.agency_types(0).figures().bookings(), 7);
  EXPECT_DOUBLE_EQ(report.agency_types(0).figures().attendance_rate(),
                   2.0 / 3.0);
  EXPECT_EQ(report.agency_types(1).agency_type(), type::EDUCATION);
  EXPECT_EQ(report.agency_types(1).figures().bookings(), 1);
  EXPECT_EQ(report.agency_types(2).agency_type(), type::POLICE);
  EXPECT_EQ(report.agency_types(2).figures().bookings(), 3);
  EXPECT_EQ(report.agency_types(2).figures().attended(), 1);

  ASSERT_EQ(report.organisations_size(), 3);  // by name, bytewise
  EXPECT_EQ(report.organisations(0).organisation(), "=\"Bad\" Org");
  EXPECT_EQ(report.organisations(0).agency_type(), type::HEALTH);  // 2 of 3
  EXPECT_EQ(report.organisations(0).figures().bookings(), 3);
  EXPECT_EQ(report.organisations(1).organisation(), "Northshire NHS");
  EXPECT_EQ(report.organisations(1).figures().bookings(), 5);
  EXPECT_EQ(report.organisations(1).figures().cancellations(), 2);
  EXPECT_EQ(report.organisations(1).figures().late_cancellations(), 1);
  EXPECT_EQ(report.organisations(2).organisation(), "Smith, Jones & Co");
  EXPECT_EQ(report.organisations(2).figures().bookings(), 3);

  // Unmet demand: s1 started with one person waiting; s2 has not started;
  // s3 was cancelled and never started.
  ASSERT_EQ(report.course_demand_size(), 2);
  EXPECT_EQ(report.course_demand(0).course(), "courses/adv-mi");
  EXPECT_EQ(report.course_demand(0).unmet_demand(), 0);
  EXPECT_EQ(report.course_demand(1).course(), "courses/intro-mi");
  EXPECT_EQ(report.course_demand(1).unmet_demand(), 1);
}

TEST_F(ReachReportTest, CsvParsesBackToTheSameFigures) {
  v1::ReachReport report = BuildReachReport(
      facts_, sessions_, kStart, kStart + absl::Hours(24 * 60), kNow);
  const std::string csv = ReachReportCsv(report);
  auto rows = ParseCsv(csv);

  ASSERT_EQ(rows.size(), 1u + 1 + 3 + 3 + 2);
  EXPECT_THAT(rows[0],
              ElementsAre("section", "agency_type", "organisation", "course",
                          "bookings", "confirmed", "waiting", "cancellations",
                          "late_cancellations", "attended", "no_shows",
                          "attendance_rate", "unmet_demand"));
  for (const auto& row : rows) ASSERT_EQ(row.size(), 13u);
  auto figures_of = [](const std::vector<std::string>& row) {
    std::vector<int> n;
    for (size_t i = 4; i < 11; ++i) {
      int value = -1;
      EXPECT_TRUE(absl::SimpleAtoi(row[i], &value)) << row[i];
      n.push_back(value);
    }
    return n;
  };
  auto expected = [](const v1::ReachFigures& f) {
    return std::vector<int>{
        f.bookings(),           f.confirmed(), f.waiting(), f.cancellations(),
        f.late_cancellations(), f.attended(),  f.no_shows()};
  };
  EXPECT_EQ(rows[1][0], "total");
  EXPECT_EQ(figures_of(rows[1]), expected(report.totals()));
  EXPECT_EQ(rows[1][11], "0.7500");
  for (int i = 0; i < 3; ++i) {
    const auto& row = rows[2 + i];
    EXPECT_EQ(row[1],
              type::AgencyType_Name(report.agency_types(i).agency_type()));
    EXPECT_EQ(figures_of(row), expected(report.agency_types(i).figures()));
  }
  for (int i = 0; i < 3; ++i) {
    const auto& row = rows[5 + i];
    EXPECT_EQ(row[0], "organisation");
    std::string organisation = report.organisations(i).organisation();
    // A formula-looking cell is defused with an apostrophe, nothing else.
    if (organisation[0] == '=') organisation.insert(0, "'");
    EXPECT_EQ(row[2], organisation);
    EXPECT_EQ(figures_of(row), expected(report.organisations(i).figures()));
  }
  EXPECT_EQ(rows[8][3], "courses/adv-mi");
  EXPECT_EQ(rows[9][3], "courses/intro-mi");
  EXPECT_EQ(rows[9][12], "1");
  // Quoting as RFC 4180 has it, CRLF line ends.
  EXPECT_NE(csv.find("\"Smith, Jones & Co\""), std::string::npos);
  EXPECT_NE(csv.find("\"'=\"\"Bad\"\" Org\""), std::string::npos);
  EXPECT_EQ(csv.substr(csv.size() - 2), "\r\n");
}

// Spreadsheets set to `;` separators split on it whatever the quoting of a
// `,` file: a cell holding one is quoted and defused like a formula.
TEST_F(ReachReportTest, CellsWithSemicolonsAreQuotedAndDefused) {
  v1::ReachReport report;
  auto* row = report.add_organisations();
  row->set_organisation("Acme;=HYPERLINK(\"http://x.example\")");
  row->set_agency_type(type::HEALTH);

  const std::string csv = ReachReportCsv(report);

  EXPECT_NE(csv.find("\"'Acme;=HYPERLINK(\"\"http://x.example\"\")\""),
            std::string::npos)
      << csv;
  auto rows = ParseCsv(csv);
  ASSERT_GE(rows.size(), 3u);
  EXPECT_EQ(rows.back()[2], "'Acme;=HYPERLINK(\"http://x.example\")");
}

TEST(WaitingAtTest, FollowsTheBookingsLife) {
  ReachFact f;
  f.create_time = kStart;
  EXPECT_FALSE(WaitingAt(f, kStart));  // not yet made
  EXPECT_TRUE(WaitingAt(f, kStart + absl::Hours(1)));
  f.confirm_time = kStart + absl::Hours(2);  // promoted
  EXPECT_TRUE(WaitingAt(f, kStart + absl::Hours(1)));
  EXPECT_FALSE(WaitingAt(f, kStart + absl::Hours(3)));
  f.confirm_time = kStart;  // confirmed on creation: never waited
  EXPECT_FALSE(WaitingAt(f, kStart + absl::Hours(1)));
  f.confirm_time.reset();
  f.cancel_time = kStart + absl::Hours(2);  // left the list
  EXPECT_FALSE(WaitingAt(f, kStart + absl::Hours(3)));
}

TEST(HistoryTest, ListsWhatHappenedOldestFirst) {
  v1::Booking b;
  *b.mutable_create_time() = ToProto(kStart);
  *b.mutable_confirm_time() = ToProto(kStart + absl::Hours(5));
  *b.add_substitutions()->mutable_substitute_time() =
      ToProto(kStart + absl::Hours(7));
  *b.mutable_cancellation()->mutable_cancel_time() =
      ToProto(kStart + absl::Hours(9));
  v1::BookingHistory history = HistoryOf(b, kStart + absl::Hours(8));
  std::vector<std::string> actions;
  for (const auto& e : history.entries()) actions.push_back(e.action());
  EXPECT_THAT(actions, ElementsAre("waitlisted", "confirmed", "substituted",
                                   "attendance_recorded", "cancelled"));
  EXPECT_EQ(FromProto(history.entries(1).event_time()),
            kStart + absl::Hours(5));

  v1::Booking direct;
  *direct.mutable_create_time() = ToProto(kStart);
  *direct.mutable_confirm_time() = ToProto(kStart);
  EXPECT_EQ(HistoryOf(direct, std::nullopt).entries(0).action(), "booked");
  EXPECT_EQ(HistoryOf(direct, std::nullopt).entries_size(), 1);
}

}  // namespace
}  // namespace training::booking

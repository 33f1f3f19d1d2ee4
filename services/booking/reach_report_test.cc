// Reports against a real database (both engines): on a seeded programme
// the reach figures match those counted by hand, their CSV reads back the
// same, bad periods are refused, and participation pages come in order.

#include "services/booking/records_test_fixture.h"

namespace training::booking {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::training::testing::StatusIs;

// Five people book three places; one cancels late and the first waiting
// is promoted; the register is taken. Every figure below is counted by hand
// from this story.
class ReportsTest : public RecordsFixture {
 protected:
  void SetUp() override {
    RecordsFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(ann_, BookAs(kAnn, kSession));
    ASSERT_OK_AND_ASSIGN(ben_, BookAs(kBen, kSession, Agency("Hill School")));
    ASSERT_OK_AND_ASSIGN(cat_, BookAs(kCat, kSession));
    ASSERT_OK_AND_ASSIGN(dan_, BookAs(kDan, kSession, Agency("Hill School")));
    ASSERT_OK_AND_ASSIGN(eve_, BookAs(kEve, kSession));
    ASSERT_EQ(eve_.waitlist_position(), 2);
    clock_.Set(kNow + absl::Hours(24 * 9 + 12));  // inside the 48 h window
    ASSERT_THAT(Cancel(cat_.name(), Holder(cat_.manage_token())), IsOk());
    clock_.Set(kStarted);
    ASSERT_THAT(Mark({{ann_.name(), v1::ATTENDED},
                      {ben_.name(), v1::NO_SHOW},
                      {dan_.name(), v1::ATTENDED}}),
                IsOk());
  }

  v1::Booking ann_, ben_, cat_, dan_, eve_;
};

std::vector<int> Figures(const v1::ReachFigures& f) {
  return {f.bookings(),           f.confirmed(), f.waiting(), f.cancellations(),
          f.late_cancellations(), f.attended(),  f.no_shows()};
}

// Webhooks scope an agency's subscriptions by the key each booking was
// made with: every event about a booking says so, and only for bookings
// made with an agency key.
TEST_P(ReportsTest, EventsNameTheAgencyKeyEachBookingWasMadeWith) {
  std::vector<events::v1::Event> outbox;
  {
    auto tx = db_->Begin(sql::TxMode::kRead);
    ASSERT_TRUE(tx.ok());
    auto read = events::ReadOutbox(**tx);
    ASSERT_TRUE(read.ok());
    outbox = *std::move(read);
  }
  auto owners = [](const events::v1::Event& e) {
    std::map<std::string, std::string> out;
    for (const auto& by : e.booked_by()) out[by.booking()] = by.organisation();
    return out;
  };
  int about_one = 0, attendance = 0;
  for (const events::v1::Event& e : outbox) {
    std::string b;
    if (e.has_booking_confirmed()) b = e.booking_confirmed().booking();
    if (e.has_booking_waitlisted()) b = e.booking_waitlisted().booking();
    if (e.has_booking_promoted()) b = e.booking_promoted().booking();
    if (e.has_booking_cancelled()) b = e.booking_cancelled().booking();
    if (!b.empty()) {
      ++about_one;
      if (b == ben_.name() || b == dan_.name()) {
        EXPECT_THAT(owners(e), ElementsAre(std::pair(b, "Hill School")));
      } else {
        EXPECT_THAT(owners(e), IsEmpty()) << b;
      }
    }
    if (e.has_attendance_recorded()) {
      ++attendance;
      EXPECT_THAT(owners(e),
                  ::testing::UnorderedElementsAre(
                      std::pair(ben_.name(), std::string("Hill School")),
                      std::pair(dan_.name(), std::string("Hill School"))));
    }
  }
  // Three confirmed, two waiting, one cancellation, one promotion.
  EXPECT_EQ(about_one, 7);
  EXPECT_EQ(attendance, 1);
}

TEST_P(ReportsTest, ReachMatchesTheFiguresCountedByHand) {
  auto report = Report(kNow, kNow + absl::Hours(24 * 30));
  ASSERT_THAT(report, IsOk());

  EXPECT_THAT(Figures(report->totals()), ElementsAre(5, 4, 1, 1, 1, 2, 1));
  EXPECT_DOUBLE_EQ(report->totals().attendance_rate(), 2.0 / 3.0);
  ASSERT_EQ(report->agency_types_size(), 2);
  EXPECT_EQ(report->agency_types(0).agency_type(), type::HEALTH);
  EXPECT_THAT(Figures(report->agency_types(0).figures()),
              ElementsAre(3, 2, 1, 1, 1, 1, 0));
  EXPECT_EQ(report->agency_types(1).agency_type(), type::EDUCATION);
  EXPECT_THAT(Figures(report->agency_types(1).figures()),
              ElementsAre(2, 2, 0, 0, 0, 1, 1));
  EXPECT_DOUBLE_EQ(report->agency_types(1).figures().attendance_rate(), 0.5);
  ASSERT_EQ(report->organisations_size(), 2);
  EXPECT_EQ(report->organisations(0).organisation(), "Hill School");
  EXPECT_EQ(report->organisations(0).agency_type(), type::EDUCATION);
  EXPECT_EQ(report->organisations(1).organisation(), "Northshire NHS Trust");
  ASSERT_EQ(report->course_demand_size(), 1);
  EXPECT_EQ(report->course_demand(0).course(), "courses/intro-mi");
  EXPECT_EQ(report->course_demand(0).unmet_demand(), 1);  // Eve

  // A period without the session has nothing in it.
  auto before = Report(kNow - absl::Hours(24 * 30), kNow);
  ASSERT_THAT(before, IsOk());
  EXPECT_EQ(before->totals().bookings(), 0);
  EXPECT_THAT(before->course_demand(), IsEmpty());

  // An agency key sees what was booked with its own key only.
  auto hill = Report(kNow, kNow + absl::Hours(24 * 30), Agency("Hill School"));
  ASSERT_THAT(hill, IsOk());
  EXPECT_THAT(Figures(hill->totals()), ElementsAre(2, 2, 0, 0, 0, 1, 1));
  ASSERT_EQ(hill->organisations_size(), 1);
  EXPECT_EQ(hill->organisations(0).organisation(), "Hill School");
}

TEST_P(ReportsTest, CsvExportReadsBackToTheSameFigures) {
  v1::GetReachReportRequest r;
  *r.mutable_start_time() = ToProto(kNow);
  *r.mutable_end_time() = ToProto(kNow + absl::Hours(24 * 30));
  auto csv = records_->ExportReachReport(Admin(), r);
  ASSERT_THAT(csv, IsOk());
  EXPECT_EQ(csv->content_type(), "text/csv; charset=utf-8");
  std::vector<std::string> lines =
      absl::StrSplit(csv->data(), "\r\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u + 1 + 2 + 2 + 1);
  EXPECT_TRUE(absl::StartsWith(lines[0], "section,agency_type,organisation"));
  EXPECT_EQ(lines[1], "total,,,,5,4,1,1,1,2,1,0.6667,");
  EXPECT_EQ(lines[2], "agency_type,HEALTH,,,3,2,1,1,1,1,0,1.0000,");
  EXPECT_EQ(lines[3], "agency_type,EDUCATION,,,2,2,0,0,0,1,1,0.5000,");
  EXPECT_EQ(lines[4],
            "organisation,EDUCATION,Hill School,,2,2,0,0,0,1,1,"
            "0.5000,");
  EXPECT_EQ(lines[6], "course,,,courses/intro-mi,,,,,,,,,1");
}

TEST_P(ReportsTest, BadPeriodsAreRefused) {
  v1::GetReachReportRequest none;
  EXPECT_EQ(GetFieldViolations(records_->GetReachReport(Admin(), none).status())
                .size(),
            2u);
  auto backwards = Report(kNow, kNow - absl::Hours(1));
  EXPECT_EQ(GetFieldViolations(backwards.status()).at(0).field, "end_time");
  auto too_long = Report(kNow, kNow + absl::Hours(24 * 365 * 6));
  EXPECT_EQ(GetFieldViolations(too_long.status()).at(0).field, "end_time");
}

TEST_P(ReportsTest, ParticipationPagesInOrder) {
  v1::ListParticipationSummariesRequest r;
  auto by_organisation = records_->ListParticipationSummaries(Admin(), r);
  ASSERT_THAT(by_organisation, IsOk());
  ASSERT_EQ(by_organisation->summaries_size(), 2);
  EXPECT_EQ(by_organisation->summaries(0).key(), "Hill School");  // a no-show
  EXPECT_EQ(by_organisation->summaries(0).no_shows(), 1);
  EXPECT_EQ(by_organisation->summaries(0).bookings(), 2);
  EXPECT_EQ(by_organisation->summaries(1).key(), "Northshire NHS Trust");
  EXPECT_EQ(by_organisation->summaries(1).late_cancellations(), 1);

  r.set_group_by(v1::ListParticipationSummariesRequest::PERSON);
  r.set_page_size(2);
  std::vector<std::string> keys;
  for (int page = 0; page < 5; ++page) {
    auto response = records_->ListParticipationSummaries(Admin(), r);
    ASSERT_THAT(response, IsOk());
    for (const auto& s : response->summaries()) keys.push_back(s.key());
    if (response->next_page_token().empty()) break;
    r.set_page_token(response->next_page_token());
  }
  EXPECT_THAT(keys, ElementsAre("ben@school.example", "cat@nhs.example",
                                "ann@nhs.example", "dan@school.example",
                                "eve@nhs.example"));

  r.set_group_by(v1::ListParticipationSummariesRequest::ORGANISATION);
  EXPECT_EQ(GetFieldViolations(
                records_->ListParticipationSummaries(Admin(), r).status())
                .at(0)
                .field,
            "page_token");
}

// Pages of 7 through 40 organisations whose names sort differently by
// bytes and by language give each exactly once, in byte order after the
// counts, and add up to every booking: the database's grouping, ordering
// and keyset paging agree with the contract on both engines.
TEST_P(ReportsTest, ParticipationPagesInByteOrderAcrossManyOrganisations) {
  std::vector<std::string> expected = {"Hill School", "Northshire NHS Trust"};
  clock_.Set(kNow);  // booking is open again
  for (int i = 0; i < 38; ++i) {
    const std::string organisation = absl::StrCat(i % 3 == 0   ? "alpha "
                                                  : i % 3 == 1 ? "Alpha "
                                                               : "\xC3\x89"
                                                                 "cole ",
                                                  i);
    expected.push_back(organisation);
    ASSERT_THAT(BookAs({"Someone", absl::StrCat("p", i, "@org.example"),
                        organisation, type::HEALTH},
                       kSession),
                IsOk());
  }
  // Hill School has the one no-show and Northshire the late cancellation:
  // they lead; everyone else has neither, in byte order.
  std::sort(expected.begin() + 2, expected.end());
  v1::ListParticipationSummariesRequest r;
  r.set_page_size(7);

  std::vector<std::string> keys;
  int bookings = 0, pages = 0;
  for (; pages < 20; ++pages) {
    auto response = records_->ListParticipationSummaries(Admin(), r);
    ASSERT_THAT(response, IsOk());
    for (const auto& s : response->summaries()) {
      keys.push_back(s.key());
      bookings += s.bookings();
    }
    if (response->next_page_token().empty()) break;
    r.set_page_token(response->next_page_token());
  }

  EXPECT_EQ(keys, expected);
  EXPECT_EQ(bookings, 5 + 38);
  EXPECT_EQ(pages, 5);  // 40 over pages of 7: the sixth is the last
}

TRAINING_ON_BOTH_ENGINES(ReportsTest);

}  // namespace
}  // namespace training::booking

// The messages after a session, against a real database (both engines):
// feedback requests only to those marked ATTENDED (and a correction
// before the request went is heeded), no-show notices only under the
// course's policy, and the feedback opt-out by its link.

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "services/notification/scheduler_test_fixture.h"

namespace training::notification::testing {
namespace {

class AfterSessionTest : public SchedulerTest {
 protected:
  void Attendance(const std::vector<std::string>& attended,
                  const std::vector<std::string>& no_shows) {
    events::v1::Event e;
    e.set_subject(kSession);
    e.mutable_attendance_recorded()->set_session(kSession);
    for (const std::string& r : attended) {
      e.mutable_attendance_recorded()->add_attended_bookings(
          absl::StrCat("bookings/", r));
      directory_.SetAttendance(r, booking::ATTENDED);
    }
    for (const std::string& r : no_shows) {
      e.mutable_attendance_recorded()->add_no_show_bookings(
          absl::StrCat("bookings/", r));
      directory_.SetAttendance(r, booking::NO_SHOW);
    }
    Compose(e);
  }
};

TEST_P(AfterSessionTest, FeedbackOnlyToThoseWhoCame) {
  directory_.AddBooking("AAAA1111", "sam@example.org");
  directory_.AddBooking("BBBB2222", "kim@example.org");
  directory_.AddBooking("CCCC3333", "lee@example.org");
  clock_.Set(kStart + absl::Hours(3));
  Attendance({"AAAA1111", "CCCC3333"}, {"BBBB2222"});
  Attendance({"AAAA1111", "CCCC3333"}, {"BBBB2222"});  // recorded again
  // Corrected before the request went: Lee did not come after all.
  directory_.SetAttendance("CCCC3333", booking::NO_SHOW);
  auto scheduler = NewScheduler("replica-a");
  SettleAll(*scheduler);
  EXPECT_TRUE(Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::QUEUED).empty())
      << "not before an hour after the end";
  clock_.Advance(absl::Hours(1));
  SettleAll(*scheduler);
  std::vector<v1::Delivery> queued =
      Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::QUEUED);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].booking(), "bookings/AAAA1111");
  std::vector<v1::Delivery> cancelled =
      Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::CANCELLED);
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].booking(), "bookings/CCCC3333");
  EXPECT_EQ(cancelled[0].last_error(), "not marked as attended");
  EXPECT_TRUE(Deliveries(v1::NO_SHOW_NOTICE, v1::Delivery::SCHEDULED).empty())
      << "no policy, no notice";
  EXPECT_TRUE(Deliveries(v1::NO_SHOW_NOTICE, v1::Delivery::QUEUED).empty());
}

TEST_P(AfterSessionTest, NoShowNoticeOnlyUnderThePolicy) {
  directory_.SetNoShowPolicy(
      "After two no-shows in a year, new bookings need the team's "
      "agreement.");
  directory_.AddBooking("AAAA1111", "sam@example.org");
  directory_.AddBooking("BBBB2222", "kim@example.org");
  clock_.Set(kStart + absl::Hours(30));  // recorded the next day
  Attendance({"AAAA1111"}, {"BBBB2222"});
  SettleAll(*NewScheduler("replica-a"));
  std::vector<v1::Delivery> notices =
      Deliveries(v1::NO_SHOW_NOTICE, v1::Delivery::QUEUED);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].booking(), "bookings/BBBB2222");
  EXPECT_TRUE(absl::StrContains(MessageOf(notices[0]), "After two no-shows"));
  ASSERT_EQ(Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::QUEUED).size(), 1u);
}

TEST_P(AfterSessionTest, AnOptOutIsRespected) {
  directory_.AddBooking("AAAA1111", "Sam@Example.org");
  clock_.Set(kStart + absl::Hours(5));
  Attendance({"AAAA1111"}, {});
  auto scheduler = NewScheduler("replica-a");
  SettleAll(*scheduler);
  std::vector<v1::Delivery> queued =
      Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::QUEUED);
  ASSERT_EQ(queued.size(), 1u);
  // The link in the message opts the address out.
  const std::string text = MessageOf(queued[0]);
  const std::string marker = "/feedback/opt-out/";
  const size_t at = text.find(marker);
  ASSERT_NE(at, std::string::npos) << text;
  std::string token = text.substr(at + marker.size());
  token = token.substr(0, token.find_first_of("\r\n"));
  absl::StatusOr<std::string> id = CheckFeedbackOptOutToken(*keys_, token);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(absl::StrCat("deliveries/", *id), queued[0].name());
  EXPECT_FALSE(CheckFeedbackOptOutToken(*keys_, *id + ".forged").ok());
  ASSERT_TRUE(store_->OptOutOfDelivery(*id, clock_.Now()).ok());
  // The same person (any case of the address) on another session.
  const std::string other = "courses/intro-mi/sessions/s2";
  directory_.SetSession(other, kStart + absl::Hours(24 * 7), false);
  directory_.AddBooking("DDDD4444", "sam@example.ORG", other);
  directory_.SetAttendance("DDDD4444", booking::ATTENDED);
  clock_.Set(kStart + absl::Hours(24 * 7 + 5));
  events::v1::Event e;
  e.set_subject(other);
  e.mutable_attendance_recorded()->set_session(other);
  e.mutable_attendance_recorded()->add_attended_bookings("bookings/DDDD4444");
  Compose(e);
  SettleAll(*scheduler);
  EXPECT_EQ(Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::QUEUED).size(), 1u);
  std::vector<v1::Delivery> cancelled =
      Deliveries(v1::FEEDBACK_REQUEST, v1::Delivery::CANCELLED);
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].last_error(),
            "the recipient opted out of feedback requests");
}

TRAINING_ON_BOTH_ENGINES(AfterSessionTest);

}  // namespace
}  // namespace training::notification::testing

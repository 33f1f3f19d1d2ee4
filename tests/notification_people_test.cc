// The notification service's dealings with people rather than bookings,
// through its real process, a real SMTP server and both SQL engines: an
// enquiry reaches the team and is acknowledged, once per request id and a
// few times an hour per address; an address the relay refuses for good is
// suppressed until an admin lifts it; and after an address is erased no
// table of the service's database and no log line of the suite holds it.

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/auth/hmac_keys.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tests/notification_process_fixture.h"

namespace training::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kTeam[] = "training@partnership.example";

// The details of an error status, unpacked.
struct ErrorDetails {
  std::vector<std::string> fields;  // BadRequest field violations
  bool retry_info = false;
};

ErrorDetails DetailsOf(const grpc::Status& status) {
  ErrorDetails out;
  google::rpc::Status rich;
  if (!rich.ParseFromString(status.error_details())) return out;
  for (const google::protobuf::Any& any : rich.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad)) {
      for (const auto& v : bad.field_violations())
        out.fields.push_back(v.field());
    }
    out.retry_info |= any.Is<google::rpc::RetryInfo>();
  }
  return out;
}

class NotificationPeopleTest : public NotificationProcessTest {
 protected:
  grpc::Status Enquire(const std::string& email, const std::string& text,
                       int request, notification::Enquiry* out,
                       const std::string& session = "") {
    notification::CreateEnquiryRequest r;
    r.mutable_enquiry()->set_display_name("Robin Shah");
    r.mutable_enquiry()->set_email(email);
    r.mutable_enquiry()->set_session(session);
    r.mutable_enquiry()->set_text(text);
    if (request != 0) r.set_request_id(Uuid(request));
    return NotificationStub()->CreateEnquiry(Context().get(), r, out);
  }

  // Person `n` books `session` again, under a request id of its own.
  booking::Booking BookAgain(const std::string& session, int n, int request) {
    booking::CreateBookingRequest r = BookingRequest(session, n);
    r.set_request_id(Uuid(request));
    booking::Booking reply;
    grpc::Status status =
        booking_stub_->CreateBooking(Context().get(), r, &reply);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return reply;
  }

  notification::PersonalDataExport Export(const std::string& email) {
    notification::ExportPersonalDataRequest r;
    r.set_email(email);
    notification::PersonalDataExport out;
    grpc::Status status = NotificationStub()->ExportPersonalData(
        Context(kAdminKey).get(), r, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }

  // Every row of every table of the notification database, as text.
  std::string DumpNotificationDatabase() {
    if (notification_db_url_.empty()) {
      return RunCommand(absl::StrCat(
          "/usr/bin/python3 -c \"import sqlite3,sys; c=sqlite3.connect(sys."
          "argv[1]); [print(l) for l in c.iterdump()]\" '",
          notification_.dir, "/notification.db'"));
    }
    return RunCommand(absl::StrCat("pg_dump --data-only --inserts '",
                                   notification_db_url_, "'"));
  }

  // Waits (watchdog) until `done` holds.
  template <typename Done>
  bool WaitUntil(Done done) {
    const absl::Time deadline = absl::Now() + kWatchdog;
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return done();
  }
};

TEST_P(NotificationPeopleTest, AnEnquiryReachesTheTeamAndIsAcknowledgedOnce) {
  const std::string session =
      CreateSessionAt(absl::Now() + absl::Hours(24 * 40), 10);
  const std::string from = "robin.shah@council.example";
  notification::Enquiry enquiry;
  grpc::Status status =
      Enquire(from, "Is there parking near the venue?\nThank you.", 4100,
              &enquiry, session);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(enquiry.name(), ::testing::StartsWith("enquiries/"));
  EXPECT_EQ(enquiry.masked_email(), "r***@council.example");
  EXPECT_TRUE(enquiry.email().empty()) << "never returned";
  // The same request again: the first answer, nothing sent twice.
  notification::Enquiry again;
  ASSERT_TRUE(Enquire(from, "Is there parking near the venue?\nThank you.",
                      4100, &again, session)
                  .ok());
  EXPECT_EQ(again.name(), enquiry.name());

  const std::vector<Mail> mail = WaitForMail(2);
  const std::vector<Mail> team = To(mail, kTeam);
  ASSERT_THAT(team, SizeIs(1));
  EXPECT_THAT(team[0].text, HasSubstr("Is there parking near the venue?"));
  EXPECT_THAT(team[0].text, HasSubstr(from));
  EXPECT_THAT(team[0].text, HasSubstr("Introduction to"));
  EXPECT_THAT(team[0].reply_to, HasSubstr(from));
  const std::vector<Mail> ack = To(mail, from);
  ASSERT_THAT(ack, SizeIs(1));
  const std::string reference = enquiry.name().substr(10);
  EXPECT_THAT(ack[0].subject, HasSubstr(reference));
  EXPECT_THAT(ack[0].text, Not(HasSubstr("Robin Shah")))
      << "nor the name the sender typed";
  EXPECT_THAT(ack[0].text, Not(HasSubstr("parking")))
      << "the question is not carried to the sender's inbox";

  notification::PersonalDataExport held = Export("Robin.Shah@Council.example");
  ASSERT_THAT(held.enquiries(), SizeIs(1));
  EXPECT_THAT(held.enquiries(0).text(), HasSubstr("parking"));
  ASSERT_THAT(held.deliveries(), SizeIs(1));
  EXPECT_EQ(held.deliveries(0).kind(), notification::ENQUIRY_ACKNOWLEDGEMENT);
  EXPECT_EQ(held.deliveries(0).enquiry(), enquiry.name());
}

TEST_P(NotificationPeopleTest, EachAddressMayAskAFewTimesAnHour) {
  const std::string from = "busy.person@council.example";
  for (int i = 0; i < 3; ++i) {
    notification::Enquiry e;
    grpc::Status status = Enquire(from, "Question", 4200 + i, &e);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  notification::Enquiry refused;
  grpc::Status status =
      Enquire("BUSY.person@council.example", "Question", 4203, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("in the last hour"));
  EXPECT_THAT(status.error_message(), Not(HasSubstr("busy")));
  EXPECT_TRUE(DetailsOf(status).retry_info);
  // Another address is not held back.
  notification::Enquiry other;
  EXPECT_TRUE(
      Enquire("someone.else@council.example", "Question", 4204, &other).ok());
  // Bad input is refused field by field and keeps nothing.
  notification::Enquiry bad;
  status =
      Enquire("not an address", "", 4205, &bad, "courses/intro-mi/nonsense");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(status).fields,
              ::testing::UnorderedElementsAre("enquiry.email", "enquiry.text",
                                              "enquiry.session"));
  status = Enquire("a@council.example", std::string(5001, 'x'), 4206, &bad);
  EXPECT_THAT(DetailsOf(status).fields, ::testing::ElementsAre("enquiry.text"));
  EXPECT_THAT(Export("a@council.example").enquiries(), SizeIs(0));
  WaitForMail(8);  // 4 forwards, 4 acknowledgements
  EXPECT_THAT(To(StoredMail(), from), SizeIs(3));
}

TEST_P(NotificationPeopleTest,
       APermanentFailureSuppressesTheAddressUntilLifted) {
  SetRelayRules(R"([{"recipient":"person51@nhs.example","code":550}])");
  const absl::Time start = absl::Now() + absl::Hours(24 * 40);
  booking::Booking first = Book(CreateSessionAt(start, 10), 51);
  auto refused = WaitForDeliveries(first.name(), 1);
  ASSERT_THAT(refused, SizeIs(1));
  EXPECT_EQ(refused[0].notify_status(), "permanent-failure");

  notification::ListSuppressionsResponse list;
  ASSERT_TRUE(NotificationStub()
                  ->ListSuppressions(Context(kAdminKey).get(), {}, &list)
                  .ok());
  ASSERT_THAT(list.suppressions(), SizeIs(1));
  const notification::Suppression& s = list.suppressions(0);
  EXPECT_EQ(s.masked_recipient(), "p***@nhs.example");
  EXPECT_THAT(s.reason(), HasSubstr("550"));
  EXPECT_EQ(s.delivery(), refused[0].name());
  EXPECT_THAT(s.name(), Not(HasSubstr("person51")));

  // The relay would take it now, but the address is suppressed: no
  // attempt is made.
  SetRelayRules("[]");
  booking::Booking second =
      BookAgain(CreateSessionAt(start + absl::Hours(24), 10), 51, 5101);
  auto suppressed = WaitForDeliveries(second.name(), 1);
  ASSERT_THAT(suppressed, SizeIs(1));
  EXPECT_EQ(suppressed[0].notify_status(), "permanent-failure");
  EXPECT_THAT(suppressed[0].last_error(), HasSubstr("suppressed"));
  EXPECT_THAT(To(StoredMail(), Address(51)), SizeIs(0));

  // Only an admin may lift it; then mail flows again.
  notification::DeleteSuppressionRequest lift;
  lift.set_name(s.name());
  google::protobuf::Empty empty;
  EXPECT_EQ(NotificationStub()
                ->DeleteSuppression(Context().get(), lift, &empty)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(NotificationStub()
                  ->DeleteSuppression(Context(kAdminKey).get(), lift, &empty)
                  .ok());
  EXPECT_EQ(NotificationStub()
                ->DeleteSuppression(Context(kAdminKey).get(), lift, &empty)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  booking::Booking third =
      BookAgain(CreateSessionAt(start + absl::Hours(48), 10), 51, 5102);
  auto sent = WaitForDeliveries(third.name(), 1);
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0].state(), notification::Delivery::SENT);
}

TEST_P(NotificationPeopleTest, AfterErasureNoTableAndNoLogHoldsTheAddress) {
  // The person: booked (reminders waiting), line manager on a colleague's
  // booking, sender of an enquiry, opted out of feedback, and suppressed.
  const std::string person = "person61@nhs.example";
  const std::string session =
      CreateSessionAt(absl::Now() + absl::Hours(24 * 40), 10);
  booking::Booking own = Book(session, 61);
  booking::Booking colleague = Book(session, 62, "Person61@NHS.example");
  auto own_messages = WaitForDeliveries(own.name(), 1);
  ASSERT_THAT(own_messages, SizeIs(1));
  WaitForDeliveries(colleague.name(), 2);  // the colleague's and the copy
  auto keys = auth::HmacKeys::Parse(kAddressHashSecrets);
  ASSERT_TRUE(keys.ok());
  const std::string delivery_id = own_messages[0].name().substr(11);
  notification::OptOutOfFeedbackRequest opt_out;
  opt_out.set_token(
      absl::StrCat(delivery_id, ".",
                   keys->Mac(0, "training.v1/feedback-opt-out:", delivery_id)));
  google::protobuf::Empty empty;
  ASSERT_TRUE(NotificationStub()
                  ->OptOutOfFeedback(Context().get(), opt_out, &empty)
                  .ok());
  SetRelayRules(R"([{"recipient":"person61@nhs.example","code":550}])");
  notification::Enquiry enquiry;
  ASSERT_TRUE(Enquire(person, "Can my team come too?", 6100, &enquiry).ok());
  ASSERT_TRUE(WaitUntil([&] {
    notification::PersonalDataExport held = Export(person);
    return held.has_suppression() && held.feedback_opted_out() &&
           held.enquiries_size() == 1;
  }));
  ASSERT_THAT(absl::AsciiStrToLower(DumpNotificationDatabase()),
              HasSubstr(person))
      << "the dump would show it";
  notification::CountDeliveriesResponse before;
  ASSERT_TRUE(NotificationStub()
                  ->CountDeliveries(Context(kAdminKey).get(), {}, &before)
                  .ok());

  booking::ErasePersonalDataRequest erase;
  erase.set_email(person);
  booking::ErasePersonalDataResponse erased;
  grpc::Status status = booking_stub_->ErasePersonalData(
      Context(kAdminKey).get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(WaitUntil([&] {
    return absl::AsciiStrToLower(DumpNotificationDatabase()).find(person) ==
           std::string::npos;
  })) << "still held after the watchdog";
  // Nor the name, nor the question's words.
  const std::string dump = absl::AsciiStrToLower(DumpNotificationDatabase());
  EXPECT_THAT(dump, Not(HasSubstr("person 61")));
  EXPECT_THAT(dump, Not(HasSubstr("robin shah")));
  EXPECT_THAT(dump, Not(HasSubstr("can my team come too")));

  notification::PersonalDataExport held = Export(person);
  EXPECT_THAT(held.deliveries(), SizeIs(0));
  EXPECT_THAT(held.enquiries(), SizeIs(0));
  EXPECT_FALSE(held.feedback_opted_out());
  EXPECT_FALSE(held.has_suppression());
  notification::CountDeliveriesResponse after;
  ASSERT_TRUE(NotificationStub()
                  ->CountDeliveries(Context(kAdminKey).get(), {}, &after)
                  .ok());
  EXPECT_EQ(after.total(), before.total()) << "the counts are kept";
  // Nor in any log line of the suite.
  for (const Process* p : {&notification_, &booking_}) {
    EXPECT_THAT(absl::AsciiStrToLower(p->child->Log()), Not(HasSubstr(person)))
        << p->dir;
  }
  EXPECT_THAT(absl::AsciiStrToLower(catalogue_.child->Log()),
              Not(HasSubstr(person)));
}

INSTANTIATE_TEST_SUITE_P(BothEngines, NotificationPeopleTest,
                         sql::testing::BothEngines(),
                         sql::testing::EngineParamName());

}  // namespace
}  // namespace training::testing

// The notification service as a whole, across processes, on both engines:
// every booking fact becomes the right e-mail once, with invites two
// independent calendar parsers read alike; the relay's 451 is retried and
// its 550 is final; a crash at each named point still leaves one message
// per fact at the relay (counted by Message-ID); the manage-token check
// and the calendar download; and no log line holds an address or a name.

#include <signal.h>

#include <set>

#include "absl/strings/match.h"
#include "google/protobuf/util/field_mask_util.h"
#include "tests/notification_process_fixture.h"

namespace training::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kManager[] = "manager@nhs.example";

// 09:30 in London on the Thursday before the clocks go forward (09:30Z)
// and on the Monday after (08:30Z).
const absl::Time kBeforeClockChange = absl::FromUnixSeconds(1805967000);
const absl::Time kAfterClockChange = absl::FromUnixSeconds(1806309000);

class NotificationFlowTest : public NotificationProcessTest {};

// One booking's life, every fact of it: confirmed (with the line
// manager's copy), waitlisted, cancelled by the attendee, promoted,
// substituted, session moved across the clock change, cancelled by the
// team.
TEST_P(NotificationFlowTest, EveryFactBecomesTheRightMessagesOnce) {
  const std::string session = CreateSessionAt(kBeforeClockChange, 1);
  booking::Booking a = Book(session, 1, kManager);
  booking::Booking b = Book(session, 2);
  ASSERT_EQ(a.state(), booking::Booking::CONFIRMED);
  ASSERT_EQ(b.state(), booking::Booking::WAITLISTED);
  WaitForMail(3);
  booking::CancelBookingRequest cancel;
  cancel.set_name(a.name());
  booking::Booking cancelled;
  ASSERT_TRUE(
      booking_stub_
          ->CancelBooking(Context(a.manage_token()).get(), cancel, &cancelled)
          .ok());
  WaitForMail(6);  // B is promoted by the cancellation
  booking::SubstituteAttendeeRequest substitute;
  substitute.set_name(b.name());
  *substitute.mutable_attendee() =
      BookingRequest(session, 3).booking().attendee();
  booking::Booking substituted;
  grpc::Status status = booking_stub_->SubstituteAttendee(
      Context(b.manage_token()).get(), substitute, &substituted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  WaitForMail(8);
  catalogue::UpdateSessionRequest move;
  move.mutable_session()->set_name(session);
  move.mutable_session()->mutable_start_time()->set_seconds(
      absl::ToUnixSeconds(kAfterClockChange));
  move.mutable_session()->mutable_end_time()->set_seconds(
      absl::ToUnixSeconds(kAfterClockChange + absl::Hours(3)));
  move.mutable_update_mask()->add_paths("start_time");
  move.mutable_update_mask()->add_paths("end_time");
  catalogue::Session moved;
  status =
      catalogue_stub_->UpdateSession(Context(kAdminKey).get(), move, &moved);
  ASSERT_TRUE(status.ok()) << status.error_message();
  WaitForMail(9);
  cancel.set_name(b.name());
  ASSERT_TRUE(
      booking_stub_->CancelBooking(Context(kAdminKey).get(), cancel, &cancelled)
          .ok());

  WaitForMail(10);
  absl::SleepFor(absl::Seconds(1));  // anything doubled would show now
  const std::vector<Mail> mail = WaitForMail(10);

  ASSERT_THAT(mail, SizeIs(10));
  std::set<std::string> ids;
  for (const Mail& m : mail) ids.insert(m.message_id);
  EXPECT_EQ(ids.size(), mail.size()) << "one Message-ID per message";
  // A: confirmed with an invite, then cancelled with a CANCEL; the manager
  // gets copies without calendars.
  const auto to_a = To(mail, Address(1));
  ASSERT_THAT(to_a, SizeIs(2));
  EXPECT_THAT(to_a[0].subject, HasSubstr("Your place is booked"));
  EXPECT_EQ(to_a[0].calendar_method, "REQUEST");
  EXPECT_THAT(to_a[0].text, HasSubstr("https://book.example.org/manage/" +
                                      a.reference() + "/" + a.manage_token()));
  EXPECT_THAT(to_a[1].subject, HasSubstr("Your booking is cancelled"));
  EXPECT_EQ(to_a[1].calendar_method, "CANCEL");
  EXPECT_EQ(to_a[0].ics["uid"], to_a[1].ics["uid"]);
  EXPECT_LT(to_a[0].ics["sequence"], to_a[1].ics["sequence"]);
  const auto to_manager = To(mail, kManager);
  ASSERT_THAT(to_manager, SizeIs(2));
  EXPECT_THAT(to_manager[0].subject, HasSubstr("Your place is booked"));
  EXPECT_THAT(to_manager[0].text, HasSubstr("copy for the line manager"));
  EXPECT_THAT(to_manager[0].text, ::testing::Not(HasSubstr(a.manage_token())))
      << "the manage link opens the booking: the attendee's alone";
  EXPECT_THAT(to_manager[0].text,
              ::testing::Not(HasSubstr("calendar invite is attached")));
  EXPECT_TRUE(to_manager[0].calendar_method.empty());
  EXPECT_TRUE(to_manager[1].calendar_method.empty());
  // B: waiting at number 1, promoted with an invite, replaced with a
  // CANCEL; C: invited, moved, cancelled by the team; one UID throughout.
  const auto to_b = To(mail, Address(2));
  ASSERT_THAT(to_b, SizeIs(3));
  EXPECT_THAT(to_b[0].text, HasSubstr("at number 1"));
  EXPECT_TRUE(to_b[0].calendar_method.empty());
  EXPECT_EQ(to_b[1].calendar_method, "REQUEST");
  EXPECT_THAT(to_b[2].subject, HasSubstr("A colleague has taken your place"));
  EXPECT_EQ(to_b[2].calendar_method, "CANCEL");
  const auto to_c = To(mail, Address(3));
  ASSERT_THAT(to_c, SizeIs(3));
  EXPECT_EQ(to_c[0].calendar_method, "REQUEST");
  EXPECT_THAT(to_c[1].subject, HasSubstr("Change to your session"));
  EXPECT_THAT(to_c[1].text, HasSubstr("The date or time has changed"));
  EXPECT_EQ(to_c[1].calendar_method, "REQUEST");
  EXPECT_THAT(to_c[2].subject, HasSubstr("We have cancelled your booking"));
  EXPECT_EQ(to_c[2].calendar_method, "CANCEL");
  const std::vector<Mail> place = {to_b[1], to_b[2], to_c[0], to_c[1], to_c[2]};
  for (size_t i = 0; i < place.size(); ++i) {
    SCOPED_TRACE(place[i].subject);
    EXPECT_EQ(place[i].ics_python, place[i].ics_js) << "the parsers agree";
    EXPECT_EQ(place[i].ics["uid"], place[0].ics["uid"]);
    if (i > 0) {
      EXPECT_GT(place[i].ics["sequence"], place[i - 1].ics["sequence"]);
    }
    EXPECT_EQ(place[i].ics["tzid"], "Europe/London");
  }
  // DTSTART on both sides of the clock change.
  EXPECT_EQ(to_c[0].ics["dtstart_utc"], "2027-03-25T09:30:00Z");
  EXPECT_EQ(to_c[1].ics["dtstart_utc"], "2027-03-29T08:30:00Z");
  // No log line of either service holds an address or a name.
  for (const Process* p : {&notification_, &booking_}) {
    const std::string log = p->child->Log();
    EXPECT_THAT(log, ::testing::Not(HasSubstr("@nhs.example")));
    EXPECT_THAT(log, ::testing::Not(HasSubstr("Person 1")));
    EXPECT_THAT(log, ::testing::Not(HasSubstr(a.manage_token())));
    EXPECT_THAT(log, ::testing::Not(HasSubstr(b.manage_token())));
  }
}

// A freed place offered with its deadline; a cancelled session tells the
// confirmed (with a CANCEL) and the offered (without) why.
TEST_P(NotificationFlowTest, OffersAndCancelledSessionsAreToldTheirFacts) {
  const std::string session =
      CreateSessionAt(kBeforeClockChange, 2, /*offers=*/true);
  booking::Booking a = Book(session, 51);
  booking::Booking c = Book(session, 52);
  booking::Booking b = Book(session, 53);
  ASSERT_EQ(b.state(), booking::Booking::WAITLISTED);
  WaitForMail(3);
  booking::CancelBookingRequest cancel;
  cancel.set_name(a.name());
  booking::Booking cancelled;
  ASSERT_TRUE(
      booking_stub_
          ->CancelBooking(Context(a.manage_token()).get(), cancel, &cancelled)
          .ok());
  WaitForMail(5);  // A's cancellation, B's offer
  catalogue::CancelSessionRequest call_off;
  call_off.set_name(session);
  call_off.set_reason("The trainer is unwell.");
  catalogue::Session called_off;
  grpc::Status status = catalogue_stub_->CancelSession(Context(kAdminKey).get(),
                                                       call_off, &called_off);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const std::vector<Mail> mail = WaitForMail(7);

  const auto to_b = To(mail, Address(53));
  ASSERT_THAT(to_b, SizeIs(3));
  EXPECT_THAT(to_b[1].subject, HasSubstr("A place is free for you"));
  EXPECT_THAT(to_b[1].text, HasSubstr("Accept or decline by "));
  EXPECT_THAT(to_b[1].text, HasSubstr(" on "));  // "5pm on Monday …"
  EXPECT_THAT(to_b[1].text, HasSubstr("/manage/" + b.reference() + "/"));
  EXPECT_THAT(to_b[2].subject, HasSubstr("Session cancelled"));
  EXPECT_THAT(to_b[2].text, HasSubstr("The trainer is unwell."));
  EXPECT_TRUE(to_b[2].calendar_method.empty()) << "an offer is in no calendar";
  const auto to_c = To(mail, Address(52));
  ASSERT_THAT(to_c, SizeIs(2));
  EXPECT_THAT(to_c[1].subject, HasSubstr("Session cancelled"));
  EXPECT_EQ(to_c[1].calendar_method, "CANCEL");
  EXPECT_EQ(to_c[1].ics["uid"], to_c[0].ics["uid"]);
  EXPECT_GT(to_c[1].ics["sequence"], to_c[0].ics["sequence"]);
  EXPECT_EQ(to_c[1].ics_python, to_c[1].ics_js);
}

TEST_P(NotificationFlowTest, TheRelaysAnswersDecideRetryOrFailure) {
  SetRelayRules(R"([{"recipient":"person11@nhs.example","code":451,"times":2},
                    {"recipient":"person12@nhs.example","code":550}])");
  const std::string session = CreateSessionAt(kBeforeClockChange, 10);
  booking::Booking later = Book(session, 11);
  booking::Booking never = Book(session, 12);

  auto retried = WaitForDeliveries(later.name(), 1);
  auto refused = WaitForDeliveries(never.name(), 1);

  ASSERT_THAT(retried, SizeIs(1));
  EXPECT_EQ(retried[0].state(), notification::Delivery::SENT);
  EXPECT_EQ(retried[0].notify_status(), "delivered");
  EXPECT_EQ(retried[0].attempts(), 3);
  EXPECT_EQ(retried[0].masked_recipient(), "p***@nhs.example");
  ASSERT_THAT(refused, SizeIs(1));
  EXPECT_EQ(refused[0].state(), notification::Delivery::FAILED);
  EXPECT_EQ(refused[0].notify_status(), "permanent-failure");
  EXPECT_EQ(refused[0].attempts(), 1);
  EXPECT_THAT(refused[0].last_error(), HasSubstr("550"));
  EXPECT_THAT(refused[0].last_error(), ::testing::Not(HasSubstr("person12")));
  EXPECT_THAT(To(StoredMail(), Address(11)), SizeIs(1));
  EXPECT_THAT(To(StoredMail(), Address(12)), SizeIs(0));
  notification::CountDeliveriesRequest count;
  count.set_booking(never.name());
  // The confirmation; its reminders wait for their time.
  count.add_kinds(notification::BOOKING_CONFIRMED);
  notification::CountDeliveriesResponse counts;
  ASSERT_TRUE(NotificationStub()
                  ->CountDeliveries(Context(kAdminKey).get(), count, &counts)
                  .ok());
  EXPECT_EQ(counts.counts().at("permanent-failure"), 1);
  EXPECT_EQ(counts.total(), 1);
}

// Killed at each point around the hand-over to the relay, and started
// again: the relay has the message, under one Message-ID.
TEST_P(NotificationFlowTest, ACrashAtEachPointStillSendsOneMessage) {
  const std::string session = CreateSessionAt(kBeforeClockChange, 10);
  int n = 20;
  for (const char* point :
       {"notification.before_smtp", "notification.after_smtp_accept",
        "notification.after_mark_sent"}) {
    SCOPED_TRACE(point);
    notification_.child->Signal(SIGKILL);
    notification_.child->Wait(kWatchdog);
    notification_ = StartNotification(point);
    ASSERT_NE(notification_.port, 0);
    booking::Booking booked = Book(session, ++n);

    // Killed by SIGKILL (no exit code), and reaped: gone.
    EXPECT_FALSE(notification_.child->Wait(kWatchdog).has_value());
    EXPECT_EQ(kill(notification_.child->pid(), 0), -1)
        << "it should have died at " << point;
    notification_ = StartNotification();
    ASSERT_NE(notification_.port, 0);
    auto deliveries = WaitForDeliveries(booked.name(), 1);

    ASSERT_THAT(deliveries, SizeIs(1));
    EXPECT_EQ(deliveries[0].state(), notification::Delivery::SENT);
    const auto received = To(StoredMail(), Address(n));
    std::set<std::string> ids;
    for (const Mail& m : received) ids.insert(m.message_id);
    EXPECT_EQ(ids,
              std::set<std::string>{"<" + deliveries[0].message_id() + ">"});
    // Only a crash between the relay's acceptance and its record sends
    // twice, and then under the one Message-ID.
    if (std::string(point) == "notification.after_smtp_accept") {
      EXPECT_EQ(received.size(), 2u);
    } else {
      EXPECT_EQ(received.size(), 1u);
    }
  }
}

TEST_P(NotificationFlowTest, OnlyTheRightTokenOpensABookingOrItsCalendar) {
  const std::string session = CreateSessionAt(kBeforeClockChange, 10);
  booking::Booking mine = Book(session, 31);
  booking::Booking other = Book(session, 32);
  WaitForDeliveries(mine.name(), 1);
  auto check = [&](const std::string& key, const std::string& token) {
    booking::CheckBookingAccessRequest r;
    r.set_booking(mine.name());
    r.set_manage_token(token);
    booking::BookingAccess access;
    return std::make_pair(
        booking_stub_->CheckBookingAccess(Context(key).get(), r, &access),
        access);
  };

  auto [right, access] = check(kNotificationKey, mine.manage_token());
  auto [wrong, unused1] = check(kNotificationKey, "not-a-token");
  auto [others, unused2] = check(kNotificationKey, other.manage_token());
  auto [not_listed, unused3] = check(kBookingKey, mine.manage_token());

  ASSERT_TRUE(right.ok()) << right.error_message();
  EXPECT_EQ(access.state(), booking::Booking::CONFIRMED);
  EXPECT_EQ(access.session(), session);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(others.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(others.error_message(), wrong.error_message());
  EXPECT_EQ(not_listed.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  notification::DownloadBookingCalendarRequest download;
  download.set_booking(mine.name());
  google::api::HttpBody ics;
  grpc::Status downloaded = NotificationStub()->DownloadBookingCalendar(
      Context(mine.manage_token()).get(), download, &ics);
  grpc::Status refused = NotificationStub()->DownloadBookingCalendar(
      Context(other.manage_token()).get(), download, &ics);
  ASSERT_TRUE(downloaded.ok()) << downloaded.error_message();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::NOT_FOUND);
  const std::string file = dir_ + "/download.ics";
  std::ofstream(file) << ics.data();
  const std::string python = RunCommand(absl::StrCat(
      "/usr/bin/python3 ", TESTS_DIR, "/ics_check.py '", file, "'"));
  const std::string js = RunCommand(
      absl::StrCat("node ", TESTS_DIR, "/ics_check.mjs '", file, "'"));
  EXPECT_EQ(python, js);
  const auto invite = To(WaitForMail(2), Address(31));
  ASSERT_THAT(invite, SizeIs(1));
  nlohmann::json parsed = nlohmann::json::parse(python, nullptr, false);
  EXPECT_EQ(parsed["method"], "PUBLISH");
  EXPECT_EQ(parsed["uid"], invite[0].ics["uid"]);
}

TEST_P(NotificationFlowTest, TemplatesAreCheckedVersionedAndPreviewed) {
  auto stub = NotificationStub();
  notification::CreateTemplateRequest create;
  create.set_template_id("waiting-short");
  auto* t = create.mutable_template_();
  t->set_kind(notification::BOOKING_WAITLISTED);
  t->set_subject("Waiting: ((course_title))");
  t->set_body(
      "Hi ((name)), you are number ((waitlist_position)).((is_online?? Join "
      "online.))");
  notification::Template created;
  grpc::Status status =
      stub->CreateTemplate(Context(kAdminKey).get(), create, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.revision_id(), 1);
  EXPECT_THAT(created.placeholders(),
              ::testing::ElementsAre("course_title", "name",
                                     "waitlist_position", "is_online"));

  // An unknown placeholder is refused, naming it; nothing changes.
  notification::UpdateTemplateRequest update;
  update.mutable_template_()->set_name("templates/waiting-short");
  update.mutable_template_()->set_subject("Waiting: ((colour))");
  update.mutable_update_mask()->add_paths("subject");
  notification::Template updated;
  status = stub->UpdateTemplate(Context(kAdminKey).get(), update, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("colour"));
  // A good change makes revision 2; revision 1 is still there.
  update.mutable_template_()->set_subject("On the list: ((course_title))");
  status = stub->UpdateTemplate(Context(kAdminKey).get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.revision_id(), 2);
  notification::GetTemplateRequest get;
  get.set_name("templates/waiting-short@1");
  notification::Template first;
  ASSERT_TRUE(stub->GetTemplate(Context(kAdminKey).get(), get, &first).ok());
  EXPECT_EQ(first.subject(), "Waiting: ((course_title))");
  EXPECT_EQ(first.name(), "templates/waiting-short@1");
  notification::ListTemplateRevisionsRequest revisions;
  revisions.set_parent("templates/waiting-short");
  notification::ListTemplateRevisionsResponse listed;
  ASSERT_TRUE(
      stub->ListTemplateRevisions(Context(kAdminKey).get(), revisions, &listed)
          .ok());
  ASSERT_THAT(listed.templates(), SizeIs(2));
  EXPECT_EQ(listed.templates(0).revision_id(), 2);
  EXPECT_EQ(listed.templates(1).revision_id(), 1);

  // The preview's words, exactly.
  notification::PreviewTemplateRequest preview;
  preview.set_name("templates/waiting-short");
  (*preview.mutable_personalisation())["name"] = "Pat";
  notification::PreviewTemplateResponse shown;
  status = stub->PreviewTemplate(Context(kAdminKey).get(), preview, &shown);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(shown.subject(),
            "On the list: Introduction to Motivational Interviewing");
  EXPECT_EQ(shown.body(), "Hi Pat, you are number 3.");
  EXPECT_EQ(shown.revision_id(), 2);
  (*preview.mutable_personalisation())["colour"] = "red";
  EXPECT_EQ(stub->PreviewTemplate(Context(kAdminKey).get(), preview, &shown)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// A value that cannot fill its placeholder (a conditional on a name) is a
// clear error in the log and nothing reaches the relay.
TEST_P(NotificationFlowTest, AMessageThatCannotBeFilledInIsNotSent) {
  notification::UpdateTemplateRequest update;
  update.mutable_template_()->set_name("templates/booking-confirmed");
  update.mutable_template_()->set_body("Hello.((name??Shown on yes only.))");
  update.mutable_update_mask()->add_paths("body");
  notification::Template updated;
  grpc::Status status = NotificationStub()->UpdateTemplate(
      Context(kAdminKey).get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::string session = CreateSessionAt(kBeforeClockChange, 10);

  booking::Booking booked = Book(session, 41);
  auto deliveries = WaitForDeliveries(booked.name(), 1);

  ASSERT_THAT(deliveries, SizeIs(1));
  EXPECT_EQ(deliveries[0].state(), notification::Delivery::FAILED);
  EXPECT_EQ(deliveries[0].notify_status(), "technical-failure");
  EXPECT_THAT(deliveries[0].last_error(), HasSubstr("name"));
  EXPECT_EQ(deliveries[0].template_revision(), 2);
  EXPECT_EQ(deliveries[0].attempts(), 0);
  EXPECT_THAT(To(StoredMail(), Address(41)), SizeIs(0));
}

TRAINING_ON_BOTH_ENGINES(NotificationFlowTest);

}  // namespace
}  // namespace training::testing

// The scoping rules, generated from the event descriptors: every payload
// of training.events.v1.Event is tried, so that a new event type is
// covered the day it is added.

#include "services/notification/webhooks/event_reach.h"

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "training/events/v1/webhook_rule.pb.h"

namespace training::notification::webhooks {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::training::events::v1::Event;
using ::training::events::v1::WebhookRule;

const Subscriber kAgencyA{"Northshire Family Services"};
const Subscriber kAgencyB{"Southvale Police"};
const Subscriber kAdmin{""};

// An event of `payload_field`'s type naming `bookings` in every field that
// holds booking names; false when the type has none.
bool MakeEvent(const FieldDescriptor& payload_field,
               const std::vector<std::string>& bookings, Event& event) {
  event.set_id("e1");
  event.set_type(payload_field.message_type()->full_name());
  event.set_request_id("request-of-the-caller");
  event.set_traceparent(
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  auto* payload = event.GetReflection()->MutableMessage(&event, &payload_field);
  const auto& d = *payload->GetDescriptor();
  bool named = false;
  for (int i = 0; i < d.field_count(); ++i) {
    const FieldDescriptor& f = *d.field(i);
    if (f.type() != FieldDescriptor::TYPE_STRING) continue;
    const auto* r = payload->GetReflection();
    if (!f.is_repeated() && f.name() == "booking") {
      r->SetString(payload, &f, bookings.front());
      named = true;
    } else if (f.is_repeated() && absl::EndsWith(f.name(), "bookings")) {
      for (const std::string& b : bookings) r->AddString(payload, &f, b);
      named = true;
    } else if (!f.is_repeated() && f.name() == "session") {
      r->SetString(payload, &f, "courses/intro-mi/sessions/s1");
    }
  }
  return named;
}

void BookedBy(Event& event, const std::string& booking,
              const std::string& organisation) {
  auto* by = event.add_booked_by();
  by->set_booking(booking);
  by->set_organisation(organisation);
}

std::vector<const FieldDescriptor*> PayloadFields() {
  std::vector<const FieldDescriptor*> out;
  const auto* oneof = Event::descriptor()->FindOneofByName("payload");
  for (int i = 0; i < oneof->field_count(); ++i) out.push_back(oneof->field(i));
  return out;
}

WebhookRule RuleFor(const FieldDescriptor& f) {
  return f.message_type()->options().GetExtension(events::v1::webhook);
}

TEST(EventReachTest, EveryEventTypeDeclaresItsRule) {
  EXPECT_EQ(WebhookEventTypes().size(), PayloadFields().size());
  for (const FieldDescriptor* f : PayloadFields()) {
    const WebhookRule rule = RuleFor(*f);
    EXPECT_NE(rule.reach(), WebhookRule::REACH_UNSPECIFIED) << f->name();
    EXPECT_EQ(rule.reach() == WebhookRule::OWN_BOOKINGS, !rule.scope().empty())
        << f->name();
  }
}

TEST(EventReachTest, AnAgencyHearsOfItsOwnBookingsOnly) {
  int booking_types = 0;
  for (const FieldDescriptor* f : PayloadFields()) {
    const WebhookRule rule = RuleFor(*f);
    if (rule.reach() != WebhookRule::OWN_BOOKINGS) continue;
    SCOPED_TRACE(f->message_type()->full_name());
    ++booking_types;
    // Made with B's key: A never hears of it, B and the admin do.
    Event by_b;
    ASSERT_TRUE(MakeEvent(*f, {"bookings/BBBB0001"}, by_b))
        << "an OWN_BOOKINGS type must name its bookings in `booking` or "
           "`*_bookings`";
    BookedBy(by_b, "bookings/BBBB0001", kAgencyB.organisation);
    EXPECT_FALSE(EventFor(by_b, kAgencyA).has_value());
    EXPECT_TRUE(EventFor(by_b, kAgencyB).has_value());
    EXPECT_TRUE(EventFor(by_b, kAdmin).has_value());
    // Booked on the public form by someone who typed A's name as their
    // organisation: the event has no booked_by, and A hears nothing.
    Event anonymous;
    MakeEvent(*f, {"bookings/PPPP0001"}, anonymous);
    EXPECT_FALSE(EventFor(anonymous, kAgencyA).has_value());
    EXPECT_TRUE(EventFor(anonymous, kAdmin).has_value());
    // A booked_by naming another booking than the payload's proves
    // nothing about the payload's.
    Event mismatched = anonymous;
    BookedBy(mismatched, "bookings/AAAA0009", kAgencyA.organisation);
    EXPECT_FALSE(EventFor(mismatched, kAgencyA).has_value());
    // An event naming A's and B's bookings reaches A with A's only.
    Event both;
    MakeEvent(*f, {"bookings/AAAA0001", "bookings/BBBB0001"}, both);
    BookedBy(both, "bookings/AAAA0001", kAgencyA.organisation);
    BookedBy(both, "bookings/BBBB0001", kAgencyB.organisation);
    std::optional<Event> seen = EventFor(both, kAgencyA);
    ASSERT_TRUE(seen.has_value());
    EXPECT_FALSE(absl::StrContains(seen->DebugString(), "BBBB0001"))
        << seen->DebugString();
    EXPECT_TRUE(absl::StrContains(seen->DebugString(), "AAAA0001"));
    EXPECT_THAT(seen->booked_by(), ::testing::SizeIs(1));
  }
  EXPECT_GE(booking_types, 9);
}

TEST(EventReachTest, AdminOnlyTypesNeverReachAnAgency) {
  for (const FieldDescriptor* f : PayloadFields()) {
    if (RuleFor(*f).reach() != WebhookRule::ADMIN_ONLY) continue;
    SCOPED_TRACE(f->name());
    Event event;
    MakeEvent(*f, {"bookings/AAAA0001"}, event);
    BookedBy(event, "bookings/AAAA0001", kAgencyA.organisation);
    EXPECT_FALSE(EventFor(event, kAgencyA).has_value());
    EXPECT_TRUE(EventFor(event, kAdmin).has_value());
    EXPECT_EQ(CheckSubscribable(f->message_type()->full_name(), false,
                                {"bookings.read", "webhooks.manage"})
                  .code(),
              absl::StatusCode::kPermissionDenied);
  }
}

TEST(EventReachTest, InternalFieldsAreRemovedForEveryone) {
  Event event;
  event.set_request_id("r");
  event.set_traceparent("t");
  event.set_tracestate("s");
  event.mutable_attendee_substituted()->set_booking("bookings/AAAA0001");
  event.mutable_attendee_substituted()->set_previous_contact_id("contact-9");
  BookedBy(event, "bookings/AAAA0001", kAgencyA.organisation);
  for (const Subscriber& who : {kAdmin, kAgencyA}) {
    std::optional<Event> seen = EventFor(event, who);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->request_id(), "");
    EXPECT_EQ(seen->traceparent(), "");
    EXPECT_EQ(seen->tracestate(), "");
    EXPECT_EQ(seen->attendee_substituted().previous_contact_id(), "");
    EXPECT_EQ(seen->attendee_substituted().booking(), "bookings/AAAA0001");
  }
}

TEST(EventReachTest, RestrictedArticlesReachAdminsOnly) {
  Event event;
  event.mutable_article_published()->mutable_article()->set_name("articles/a");
  event.mutable_article_published()->mutable_article()->set_audience(
      content::v1::Article::BOOKED);
  EXPECT_FALSE(EventFor(event, kAgencyA).has_value());
  EXPECT_TRUE(EventFor(event, kAdmin).has_value());
  event.mutable_article_published()->mutable_article()->set_audience(
      content::v1::Article::PUBLIC);
  EXPECT_TRUE(EventFor(event, kAgencyA).has_value());
}

TEST(EventReachTest, SessionsOfDraftCoursesReachAdminsOnly) {
  int session_types = 0;
  for (const FieldDescriptor* f : PayloadFields()) {
    if (RuleFor(*f).reach() != WebhookRule::VISIBLE_COURSES) continue;
    SCOPED_TRACE(f->name());
    ++session_types;
    Event event;
    MakeEvent(*f, {"bookings/AAAA0001"}, event);
    EXPECT_FALSE(EventFor(event, kAgencyA).has_value());
    EXPECT_TRUE(EventFor(event, kAdmin).has_value());
    auto* payload = event.GetReflection()->MutableMessage(&event, f);
    const FieldDescriptor* published =
        payload->GetDescriptor()->FindFieldByName("course_visible");
    ASSERT_NE(published, nullptr) << "a VISIBLE_COURSES type says whether";
    payload->GetReflection()->SetBool(payload, published, true);
    EXPECT_TRUE(EventFor(event, kAgencyA).has_value());
  }
  EXPECT_EQ(session_types, 3);
}

TEST(EventReachTest, SubscribingNeedsTheTypesScope) {
  const std::string confirmed = "training.events.v1.BookingConfirmed";
  EXPECT_TRUE(CheckSubscribable(confirmed, false, {"bookings.read"}).ok());
  EXPECT_EQ(CheckSubscribable(confirmed, false, {"webhooks.manage"}).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckSubscribable(confirmed, true, {}).ok());
  EXPECT_TRUE(
      CheckSubscribable("training.events.v1.SessionChanged", false, {}).ok());
  EXPECT_EQ(CheckSubscribable("training.events.v1.Event", true, {}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EventReachTest, PayloadIsTheProtobufJsonMapping) {
  Event event;
  event.set_id("e1");
  event.set_type("training.events.v1.BookingConfirmed");
  event.mutable_occur_time()->set_seconds(1767225600);
  event.mutable_booking_confirmed()->set_booking("bookings/AAAA0001");
  const std::string json = PayloadJson(event);
  EXPECT_THAT(json,
              ::testing::HasSubstr(R"("occurTime":"2026-01-01T00:00:00Z")"));
  EXPECT_THAT(json,
              ::testing::HasSubstr(
                  R"("bookingConfirmed":{"booking":"bookings/AAAA0001"})"));
}

}  // namespace
}  // namespace training::notification::webhooks

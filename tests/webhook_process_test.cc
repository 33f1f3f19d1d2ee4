// Webhooks end to end: real bookings become signed POSTs to receivers the
// test runs, which check each signature with Python's hmac (not the
// service's code). Covered: signatures and secret rotation with its grace
// period, an agency's subscription hearing of its own organisation's
// bookings only, targets refused before any request (SSRF), a subscription
// disabled at the failure threshold, resumed and replayed.

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/time/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/webhook_process_fixture.h"

namespace training::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kConfirmed[] = "training.events.v1.BookingConfirmed";

class WebhookDeliveryTest : public WebhookProcessTest {
 protected:
  // The fixture's notification goes; this one carries the webhook flags.
  void Restart(std::vector<std::string> more) {
    notification_ = Process();
    notification_ =
        StartNotification("", "notification-w", WebhookFlags(std::move(more)));
    ASSERT_NE(notification_.port, 0);
    stub_ = WebhookStub(notification_);
  }

  // The subscription's deliveries as `key` sees them.
  std::vector<notification::WebhookDelivery> Deliveries(
      const notification::Webhook& hook, const std::string& key = kAdminKey) {
    notification::ListWebhookDeliveriesRequest request;
    request.set_parent(hook.name());
    request.set_page_size(200);
    notification::ListWebhookDeliveriesResponse response;
    grpc::Status status =
        stub_->ListWebhookDeliveries(Context(key).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.deliveries().begin(), response.deliveries().end()};
  }

  notification::WebhookDelivery Delivery(const std::string& name) {
    notification::GetWebhookDeliveryRequest request;
    request.set_name(name);
    notification::WebhookDelivery d;
    grpc::Status status =
        stub_->GetWebhookDelivery(Context(kAdminKey).get(), request, &d);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return d;
  }

  notification::Webhook Get(const notification::Webhook& hook,
                            const std::string& key = kAdminKey) {
    notification::GetWebhookRequest request;
    request.set_name(hook.name());
    notification::Webhook w;
    grpc::Status status = stub_->GetWebhook(Context(key).get(), request, &w);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return w;
  }

  // The bookings a delivered body names, anywhere in it.
  static std::set<std::string> BookingsIn(const nlohmann::json& body) {
    std::set<std::string> out;
    const std::string text = body.dump();
    for (size_t at = text.find("bookings/"); at != std::string::npos;
         at = text.find("bookings/", at + 1)) {
      out.insert(text.substr(at, text.find('"', at) - at));
    }
    return out;
  }

  std::unique_ptr<notification::WebhookService::Stub> stub_;
};

TEST_P(WebhookDeliveryTest, SignaturesVerifyAndARotatedSecretHasAGracePeriod) {
  Restart(
      {"--webhook_retry_schedule=300ms,300ms,300ms,300ms,300ms,300ms,"
       "300ms,300ms,300ms,300ms"});
  const Receiver& receiver = StartReceiver("receiver");
  const std::string session = CreateSession(20);
  const notification::Webhook hook =
      Subscribe(*stub_, kAdminKey, receiver.url(), {kConfirmed});
  ASSERT_TRUE(absl::StartsWith(hook.secret(), "whsec_")) << hook.secret();
  EXPECT_EQ(Get(hook).secret(), "") << "a secret is shown once";
  receiver.SetSecrets({hook.secret()});

  const booking::Booking first = BookAs("", session, 1);
  std::vector<Received> log =
      WaitForLog(receiver, [](const auto& l) { return l.size() >= 1; });
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_THAT(log[0].verified_by, ElementsAre(0));
  EXPECT_TRUE(log[0].timestamp_ok);
  EXPECT_EQ(log[0].signatures, 1);
  EXPECT_TRUE(absl::StartsWith(log[0].id, "msg_")) << log[0].id;
  EXPECT_EQ(log[0].body["type"], kConfirmed);
  EXPECT_EQ(log[0].body["bookingConfirmed"]["booking"], first.name());
  EXPECT_FALSE(log[0].body.contains("requestId")) << log[0].body.dump();
  EXPECT_TRUE(log[0].body.contains("occurTime"));

  // Rotated with a grace period: both secrets sign.
  notification::RotateWebhookSecretRequest rotate;
  rotate.set_name(hook.name());
  // Long enough for two deliveries on a loaded machine.
  rotate.mutable_grace_period()->set_seconds(10);
  notification::Webhook rotated;
  ASSERT_TRUE(
      stub_->RotateWebhookSecret(Context(kAdminKey).get(), rotate, &rotated)
          .ok());
  ASSERT_TRUE(absl::StartsWith(rotated.secret(), "whsec_"));
  ASSERT_NE(rotated.secret(), hook.secret());
  const absl::Time grace_end = FromProto(rotated.previous_secret_expire_time());
  BookAs("", session, 2);  // the receiver still knows the old one only
  log = WaitForLog(receiver, [](const auto& l) { return l.size() >= 2; });
  EXPECT_EQ(log[1].status, 200);
  EXPECT_EQ(log[1].signatures, 2);
  EXPECT_THAT(log[1].verified_by, ElementsAre(0));
  receiver.SetSecrets({rotated.secret(), hook.secret()});
  BookAs("", session, 3);
  log = WaitForLog(receiver, [](const auto& l) { return l.size() >= 3; });
  EXPECT_THAT(log[2].verified_by, ElementsAre(0, 1));

  // After the grace period the old secret signs nothing.
  absl::SleepFor(grace_end - absl::Now() + absl::Milliseconds(500));
  receiver.SetSecrets({hook.secret()});
  const booking::Booking fourth = BookAs("", session, 4);
  log = WaitForLog(receiver, [](const auto& l) { return l.size() >= 4; });
  EXPECT_EQ(log[3].signatures, 1);
  EXPECT_THAT(log[3].verified_by, ::testing::IsEmpty());
  EXPECT_EQ(log[3].status, 401);
  // The receiver learns the new secret; the retry is accepted.
  receiver.SetSecrets({rotated.secret()});
  log = WaitForLog(receiver, [](const auto& l) {
    return !l.empty() && l.back().status == 200 && l.size() >= 5;
  });
  EXPECT_EQ(log.back().id, log[3].id) << "a retry keeps its webhook-id";
  EXPECT_EQ(log.back().body["bookingConfirmed"]["booking"], fourth.name());

  // The log shows every attempt of that delivery.
  const std::string name = absl::StrCat(hook.name(), "/deliveries/", log[3].id);
  const absl::Time deadline = absl::Now() + kWatchdog;
  notification::WebhookDelivery d = Delivery(name);
  while (d.state() != notification::WebhookDelivery::SUCCEEDED &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    d = Delivery(name);
  }
  EXPECT_EQ(d.state(), notification::WebhookDelivery::SUCCEEDED);
  ASSERT_GE(d.attempts_size(), 2);
  EXPECT_EQ(d.attempts(0).http_status(), 401);
  EXPECT_EQ(d.attempts(0).error(), "HTTP 401");
  EXPECT_EQ(d.attempts().rbegin()->http_status(), 200);
  EXPECT_EQ(d.event_type(), kConfirmed);
  EXPECT_THAT(d.payload(), HasSubstr(fourth.name()));
  EXPECT_EQ(Deliveries(hook).size(), 4u);
}

TEST_P(WebhookDeliveryTest, AnAgencyHearsOfItsOwnOrganisationsBookingsOnly) {
  Restart({"--webhook_retry_schedule=300ms,300ms,300ms"});
  const Receiver& at_a = StartReceiver("agency-a");
  const Receiver& at_b = StartReceiver("agency-b");
  const Receiver& at_admin = StartReceiver("admin");
  const std::string session = CreateSession(20);
  const notification::Webhook hook_a =
      Subscribe(*stub_, kAgencyAKey, at_a.url());
  const notification::Webhook hook_b =
      Subscribe(*stub_, kAgencyBKey, at_b.url());
  const notification::Webhook hook_admin =
      Subscribe(*stub_, kAdminKey, at_admin.url());
  EXPECT_EQ(hook_a.organisation(), kOrganisationA);
  EXPECT_EQ(hook_admin.organisation(), "");
  at_a.SetSecrets({hook_a.secret()});
  at_b.SetSecrets({hook_b.secret()});
  at_admin.SetSecrets({hook_admin.secret()});

  // One booking with each agency's key, and one on the public form by
  // someone who typed A's name as their organisation; then each is
  // cancelled by the training team.
  const booking::Booking by_a = BookAs(kAgencyAKey, session, 1);
  const booking::Booking by_b = BookAs(kAgencyBKey, session, 2);
  const booking::Booking typed_a = BookAs("", session, 3, kOrganisationA);
  for (const booking::Booking& b : {by_a, by_b, typed_a}) {
    booking::CancelBookingRequest cancel;
    cancel.set_name(b.name());
    booking::Booking cancelled;
    ASSERT_TRUE(
        booking_stub_
            ->CancelBooking(Context(kAdminKey).get(), cancel, &cancelled)
            .ok());
  }
  const std::vector<Received> admin_log =
      WaitForLog(at_admin, [](const auto& l) { return l.size() >= 6; });
  const std::vector<Received> a_log =
      WaitForLog(at_a, [](const auto& l) { return l.size() >= 2; });
  const std::vector<Received> b_log =
      WaitForLog(at_b, [](const auto& l) { return l.size() >= 2; });
  // By now every fan-out decision is made: each event was fanned out to
  // all three subscriptions in one transaction.
  EXPECT_EQ(Deliveries(hook_a, kAgencyAKey).size(), 2u);
  EXPECT_EQ(Deliveries(hook_b, kAgencyBKey).size(), 2u);
  std::set<std::string> admin_saw, a_saw, b_saw;
  for (const Received& r : admin_log) {
    for (const std::string& b : BookingsIn(r.body)) admin_saw.insert(b);
  }
  for (const Received& r : a_log) {
    EXPECT_THAT(r.verified_by, ElementsAre(0));
    for (const std::string& b : BookingsIn(r.body)) a_saw.insert(b);
    EXPECT_EQ(r.body["bookedBy"][0]["organisation"], kOrganisationA);
  }
  for (const Received& r : b_log) {
    for (const std::string& b : BookingsIn(r.body)) b_saw.insert(b);
  }
  EXPECT_EQ(admin_saw,
            (std::set<std::string>{by_a.name(), by_b.name(), typed_a.name()}));
  EXPECT_EQ(a_saw, std::set<std::string>{by_a.name()});
  EXPECT_EQ(b_saw, std::set<std::string>{by_b.name()});
  std::set<std::string> a_types;
  for (const Received& r : a_log) a_types.insert(r.body["type"]);
  EXPECT_THAT(a_types,
              ElementsAre("training.events.v1.BookingCancelled", kConfirmed));

  // Another organisation's subscription cannot be seen or touched.
  notification::GetWebhookRequest get;
  get.set_name(hook_b.name());
  notification::Webhook w;
  EXPECT_EQ(stub_->GetWebhook(Context(kAgencyAKey).get(), get, &w).error_code(),
            grpc::StatusCode::NOT_FOUND);
  notification::ListWebhooksRequest list;
  notification::ListWebhooksResponse listed;
  ASSERT_TRUE(
      stub_->ListWebhooks(Context(kAgencyAKey).get(), list, &listed).ok());
  ASSERT_EQ(listed.webhooks_size(), 1);
  EXPECT_EQ(listed.webhooks(0).name(), hook_a.name());
  ASSERT_TRUE(
      stub_->ListWebhooks(Context(kAdminKey).get(), list, &listed).ok());
  EXPECT_EQ(listed.webhooks_size(), 3);
  // B's organisation loses webhooks.manage: its subscription hears of
  // nothing more, though B's key still books.
  SetAgencyBScopes({"bookings.read"}, notification_);
  const absl::Time reloaded_by = absl::Now() + kWatchdog;
  notification::ListWebhooksResponse b_listed;
  while (stub_->ListWebhooks(Context(kAgencyBKey).get(), list, &b_listed)
                 .error_code() != grpc::StatusCode::PERMISSION_DENIED &&
         absl::Now() < reloaded_by) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  const booking::Booking by_b_later = BookAs(kAgencyBKey, session, 4);
  WaitForLog(at_admin, [](const auto& l) { return l.size() >= 7; });
  EXPECT_EQ(Deliveries(hook_b).size(), 2u) << "B's subscription got "
                                              "another delivery";
  EXPECT_EQ(at_admin.Log().back().body["bookingConfirmed"]["booking"],
            by_b_later.name());

  // An admin-only type is refused to an agency key, naming the field.
  notification::CreateWebhookRequest erased;
  erased.mutable_webhook()->set_target_uri(at_a.url());
  erased.mutable_webhook()->add_event_types(
      "training.events.v1.PersonalDataErased");
  grpc::Status refused =
      stub_->CreateWebhook(Context(kAgencyAKey).get(), erased, &w);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("event_types[0]"));
}

TEST_P(WebhookDeliveryTest, NonPublicTargetsAreRefusedBeforeAnyRequest) {
  // One attempt each: the first failure waits an hour.
  Restart({"--webhook_retry_schedule=1h"});
  const Receiver& canary = StartReceiver("canary", "127.0.0.1");
  const Receiver& redirector = StartReceiver("redirector");
  redirector.SetRules({{"status", 302}, {"location", canary.url()}});
  const std::string session = CreateSession(20);
  const std::vector<std::pair<std::string, std::string>> targets = {
      {canary.url(), "address refused: loopback"},
      {"http://169.254.169.254/latest/meta-data", "address refused: metadata"},
      {"http://10.0.0.1/hook", "address refused: private"},
      {absl::StrCat("http://localhost:", canary.port, "/hook"),
       "address refused: loopback"},
      {redirector.url("/redirect"), "HTTP 302 (redirects are not followed)"}};
  std::vector<notification::Webhook> hooks;
  for (const auto& [target, why] : targets) {
    hooks.push_back(Subscribe(*stub_, kAdminKey, target, {kConfirmed}));
  }
  BookAs("", session, 1);
  for (size_t i = 0; i < hooks.size(); ++i) {
    SCOPED_TRACE(targets[i].first);
    const absl::Time deadline = absl::Now() + kWatchdog;
    std::vector<notification::WebhookDelivery> d = Deliveries(hooks[i]);
    while ((d.empty() || d[0].attempt_count() < 1 ||
            d[0].state() == notification::WebhookDelivery::SENDING) &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(100));
      d = Deliveries(hooks[i]);
    }
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].last_error(), targets[i].second);
    EXPECT_EQ(d[0].state(), notification::WebhookDelivery::PENDING);
  }
  EXPECT_THAT(canary.Log(), ::testing::IsEmpty());
  EXPECT_EQ(redirector.Log().size(), 1u);

  // Targets are checked when given, too.
  notification::CreateWebhookRequest plain;
  plain.mutable_webhook()->set_target_uri("http://hooks.example.org/in");
  notification::Webhook w;
  grpc::Status refused =
      stub_->CreateWebhook(Context(kAdminKey).get(), plain, &w);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("https"));
}

TEST_P(WebhookDeliveryTest,
       AFailingSubscriptionIsDisabledThenResumedAndReplayed) {
  Restart({"--webhook_retry_schedule=200ms,200ms,200ms,200ms,200ms,200ms",
           "--webhook_disable_after_failures=3", "--webhook_disable_after=0s"});
  const Receiver& receiver = StartReceiver("receiver");
  receiver.SetRules({{"status", 500}});
  const std::string session = CreateSession(20);
  const notification::Webhook hook =
      Subscribe(*stub_, kAdminKey, receiver.url(), {kConfirmed});
  receiver.SetSecrets({hook.secret()});
  BookAs("", session, 1);
  const absl::Time deadline = absl::Now() + kWatchdog;
  notification::Webhook seen = Get(hook);
  while (seen.state() != notification::Webhook::DISABLED &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    seen = Get(hook);
  }
  ASSERT_EQ(seen.state(), notification::Webhook::DISABLED);
  EXPECT_THAT(seen.disabled_reason(), HasSubstr("3 attempts in a row"));
  EXPECT_THAT(seen.disabled_reason(), HasSubstr("HTTP 500"));
  EXPECT_EQ(seen.consecutive_failures(), 3);
  absl::SleepFor(absl::Seconds(1));  // nothing more goes while disabled
  EXPECT_EQ(receiver.Log().size(), 3u);

  // Resumed: what waited goes out.
  receiver.SetRules(nlohmann::json::object());
  notification::ResumeWebhookRequest resume;
  resume.set_name(hook.name());
  notification::Webhook resumed;
  ASSERT_TRUE(
      stub_->ResumeWebhook(Context(kAdminKey).get(), resume, &resumed).ok());
  EXPECT_EQ(resumed.state(), notification::Webhook::ACTIVE);
  EXPECT_EQ(resumed.disabled_reason(), "");
  std::vector<Received> log = WaitForLog(receiver, [](const auto& l) {
    return !l.empty() && l.back().status == 200;
  });
  const std::string id = log.back().id;

  // Replayed: the same webhook-id again.
  notification::ReplayWebhookDeliveriesRequest replay;
  replay.set_parent(hook.name());
  replay.set_delivery(absl::StrCat(hook.name(), "/deliveries/", id));
  notification::ReplayWebhookDeliveriesResponse replayed;
  absl::Time until = absl::Now() + kWatchdog;
  grpc::Status status;
  // An attempt still being recorded is left alone: ask again.
  for (;;) {
    status = stub_->ReplayWebhookDeliveries(Context(kAdminKey).get(), replay,
                                            &replayed);
    if (status.error_code() != grpc::StatusCode::FAILED_PRECONDITION ||
        absl::Now() >= until) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(replayed.replayed_count(), 1);
  const size_t before = log.size();
  log = WaitForLog(receiver, [&](const auto& l) { return l.size() > before; });
  EXPECT_EQ(log.back().id, id);
  EXPECT_EQ(log.back().status, 200);
  // A range naming no failed delivery replays nothing.
  notification::ReplayWebhookDeliveriesRequest range;
  range.set_parent(hook.name());
  *range.mutable_start_time() = ToProto(absl::Now() - absl::Hours(1));
  *range.mutable_end_time() = ToProto(absl::Now() + absl::Hours(1));
  ASSERT_TRUE(
      stub_->ReplayWebhookDeliveries(Context(kAdminKey).get(), range, &replayed)
          .ok());
  EXPECT_EQ(replayed.replayed_count(), 0);
}

INSTANTIATE_TEST_SUITE_P(BothEngines, WebhookDeliveryTest,
                         sql::testing::BothEngines(),
                         sql::testing::EngineParamName());

}  // namespace
}  // namespace training::testing

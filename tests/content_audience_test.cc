// Restricted articles with the real booking service: the content process
// asks booking (CheckBookingAccess) whether the manage token a reader
// presents opens a booking that gives access. Refused without the right
// booking, served with it; an attendee-only article refused to a confirmed
// booking until attendance is recorded; a replaced attendee's old token
// refused; booking down means UNAVAILABLE for restricted articles while
// public ones are still served. And the seed material, loaded as `./dev
// up` loads it, read and searched through the gateway as a newcomer would.

#include <thread>

#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "gateway_process_fixture.h"
#include "training/content/v1/content_service.grpc.pb.h"

namespace training::testing {
namespace {

namespace content = training::content::v1;

const std::string kContentKey = "content-service-key-0123456789abcdef";

class ContentAudienceTest : public GatewayProcessTest {
 protected:
  std::vector<std::string> ExtraKeys() override {
    std::vector<std::string> keys = GatewayProcessTest::ExtraKeys();
    keys.push_back(ServiceKeyEntry("content", kContentKey, "content"));
    return keys;
  }

  void SetUp() override {
    GatewayProcessTest::SetUp();
    if (HasFatalFailure()) return;
    std::string booking_url, content_url;
    if (OnPostgres()) {
      auto url = sql::testing::NewTestDatabaseUrl(sql::Engine::kPostgres);
      ASSERT_TRUE(url.ok()) << url.status();
      booking_url = *url;
      url = sql::testing::NewTestDatabaseUrl(sql::Engine::kPostgres);
      ASSERT_TRUE(url.ok()) << url.status();
      content_url = "--database_url=" + *url;
    }
    booking_ = StartBooking("booking", booking_url);
    ASSERT_NE(booking_.port, 0);
    booking_stub_ = booking::BookingService::NewStub(Channel(booking_));
    // No cache: every read asks booking, so each change shows at once.
    std::vector<std::string> flags = {
        absl::StrCat("--booking_address=127.0.0.1:", booking_.port),
        "--booking_access_cache_ttl=0s", "--booking_timeout=2s"};
    if (!content_url.empty()) flags.push_back(content_url);
    content_ = StartProcess(CONTENT_BINARY, "content", flags,
                            {{"TRAINING_SERVICE_KEY", kContentKey}});
    ASSERT_NE(content_.port, 0);
    content_stub_ = content::ContentService::NewStub(Channel(content_));
  }

  // Booking and content on PostgreSQL (the other fixture), or SQLite.
  virtual bool OnPostgres() const { return false; }

  // The restricted-article checks, on either engine.
  void CheckWhoReadsRestrictedArticles();

  void RestrictedArticles() {
    Article("open-page", content::Article::PUBLIC);
    Article("pre-reading", content::Article::BOOKED);
    Article("next-steps", content::Article::ATTENDED);
  }

  // Runs the seed loader as `./dev up` does; its exit status.
  int LoadSeed() {
    ChildProcess seed(CONTENT_SEED_BINARY,
                      {absl::StrCat("--address=127.0.0.1:", content_.port)},
                      {{"TRAINING_KEY", kAdminKey}},
                      MakeTempDir("seed") + "/log");
    std::optional<int> status = seed.Wait(kWatchdog);
    EXPECT_TRUE(status.has_value()) << seed.Log();
    seed_log_ = seed.Log();
    return status.value_or(-1);
  }

  void Article(const std::string& id, content::Article::Audience audience) {
    content::CreateArticleRequest r;
    r.set_article_id(id);
    r.mutable_article()->set_title("Reading " + id);
    r.mutable_article()->set_body_markdown("Some *reading*.");
    r.mutable_article()->set_audience(audience);
    r.mutable_article()->add_courses("courses/intro-mi");
    content::Article article;
    ASSERT_TRUE(
        content_stub_->CreateArticle(Context(kAdminKey).get(), r, &article)
            .ok());
    content::PublishArticleRequest publish;
    publish.set_name(article.name());
    ASSERT_TRUE(
        content_stub_
            ->PublishArticle(Context(kAdminKey).get(), publish, &article)
            .ok());
  }

  // An online session of intro-mi that starts `in` from now.
  std::string SessionStartingIn(absl::Duration in) {
    CreateSession(5);  // publishes the course (and a later session)
    catalogue::CreateSessionRequest request;
    request.set_parent("courses/intro-mi");
    const absl::Time start = absl::Now() + in;
    auto* s = request.mutable_session();
    s->mutable_start_time()->set_seconds(absl::ToUnixSeconds(start));
    s->mutable_end_time()->set_seconds(
        absl::ToUnixSeconds(start + absl::Hours(2)));
    s->set_delivery_mode(catalogue::ONLINE);
    s->set_capacity(5);
    request.mutable_joining_details()->set_joining_url(
        "https://meet.example.org/x");
    catalogue::Session session;
    grpc::Status status = catalogue_stub_->CreateSession(
        Context(kAdminKey).get(), request, &session);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return session.name();
  }

  booking::Booking Book(const std::string& session, int n) {
    booking::Booking booked;
    grpc::Status status = booking_stub_->CreateBooking(
        Context("").get(), BookingRequest(session, n), &booked);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(booked.state(), booking::Booking::CONFIRMED);
    return booked;
  }

  // Reads `article` as the holder of `token` for `booking`.
  grpc::Status Read(const std::string& article, const std::string& booking,
                    const std::string& token) {
    content::GetArticleRequest r;
    r.set_name("articles/" + article);
    r.set_booking(booking);
    content::Article got;
    return content_stub_->GetArticle(Context(token).get(), r, &got);
  }

  std::vector<std::string> Listed(const std::string& booking,
                                  const std::string& token) {
    content::ListArticlesRequest r;
    r.set_booking(booking);
    content::ListArticlesResponse response;
    grpc::Status status =
        content_stub_->ListArticles(Context(token).get(), r, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> names;
    for (const auto& a : response.articles()) names.push_back(a.name());
    return names;
  }

  std::string seed_log_;
  Process booking_, content_;
  std::unique_ptr<booking::BookingService::Stub> booking_stub_;
  std::unique_ptr<content::ContentService::Stub> content_stub_;
};

using ::testing::ElementsAre;

class ContentAudiencePostgresTest : public ContentAudienceTest {
 protected:
  bool OnPostgres() const override { return true; }
};

void ContentAudienceTest::CheckWhoReadsRestrictedArticles() {
  RestrictedArticles();
  const std::string session = SessionStartingIn(absl::Seconds(15));
  const booking::Booking first = Book(session, 1);
  const booking::Booking second = Book(session, 2);
  const booking::Booking third = Book(session, 3);

  // Anonymous, and with a token that opens another booking: refused.
  EXPECT_EQ(Read("open-page", "", "").error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(Read("pre-reading", "", "").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      Read("pre-reading", first.name(), second.manage_token()).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // A confirmed booking opens pre-course reading, not the follow-up.
  EXPECT_EQ(
      Read("pre-reading", first.name(), first.manage_token()).error_code(),
      grpc::StatusCode::OK);
  EXPECT_EQ(Read("next-steps", first.name(), first.manage_token()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(Listed(first.name(), first.manage_token()),
              ElementsAre("articles/open-page", "articles/pre-reading"));
  EXPECT_THAT(Listed("", ""), ElementsAre("articles/open-page"));

  // A colleague takes the second place: the old token stops opening it.
  booking::SubstituteAttendeeRequest substitute;
  substitute.set_name(second.name());
  *substitute.mutable_attendee() =
      BookingRequest(session, 22).booking().attendee();
  booking::Booking replaced;
  ASSERT_TRUE(booking_stub_
                  ->SubstituteAttendee(Context(second.manage_token()).get(),
                                       substitute, &replaced)
                  .ok());
  EXPECT_EQ(
      Read("pre-reading", second.name(), second.manage_token()).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      Read("pre-reading", second.name(), replaced.manage_token()).error_code(),
      grpc::StatusCode::OK);

  // A cancelled booking opens nothing restricted.
  booking::CancelBookingRequest cancel;
  cancel.set_name(third.name());
  booking::Booking cancelled;
  ASSERT_TRUE(booking_stub_
                  ->CancelBooking(Context(third.manage_token()).get(), cancel,
                                  &cancelled)
                  .ok());
  EXPECT_EQ(
      Read("pre-reading", third.name(), third.manage_token()).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  // Once the session has started and attendance is recorded, the
  // follow-up opens to the attendee.
  booking::BatchRecordAttendanceRequest marks;
  marks.set_session(session);
  auto* mark = marks.add_marks();
  mark->set_booking(first.name());
  mark->set_attendance(booking::ATTENDED);
  booking::BatchRecordAttendanceResponse recorded;
  grpc::Status status;
  const absl::Time deadline = absl::Now() + kWatchdog;
  do {
    status = booking_stub_->BatchRecordAttendance(Context(kAdminKey).get(),
                                                  marks, &recorded);
    if (status.error_code() != grpc::StatusCode::FAILED_PRECONDITION) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  } while (absl::Now() < deadline);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Read("next-steps", first.name(), first.manage_token()).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(
      Read("next-steps", second.name(), replaced.manage_token()).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  // Booking down: restricted articles wait, with a hint to retry; public
  // ones are served as before.
  booking_.child->Signal(SIGKILL);
  booking_.child->Wait(kWatchdog);
  const grpc::Status down =
      Read("pre-reading", first.name(), first.manage_token());
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(GetRetryDelay(FromGrpcStatus(down)).has_value());
  EXPECT_EQ(Read("open-page", first.name(), first.manage_token()).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(Read("open-page", "", "").error_code(), grpc::StatusCode::OK);
}

TEST_F(ContentAudienceTest, BookingDecidesWhoReadsRestrictedArticles) {
  CheckWhoReadsRestrictedArticles();
}

TEST_F(ContentAudiencePostgresTest, BookingDecidesWhoReadsRestrictedArticles) {
  CheckWhoReadsRestrictedArticles();
}

TEST_F(ContentAudienceTest, TheSeedMaterialReadsAndSearchesThroughTheGateway) {
  ASSERT_EQ(LoadSeed(), 0) << seed_log_;
  EXPECT_THAT(seed_log_, ::testing::HasSubstr("created and published"));
  ASSERT_EQ(LoadSeed(), 0) << seed_log_;  // again: nothing more to do
  EXPECT_THAT(seed_log_, ::testing::HasSubstr("created and published 0 of"));
  gateway_ = StartGateway(catalogue_.port, booking_.port, 0, content_.port);
  ASSERT_NE(gateway_.port, 0);

  HttpReply principles = Call("GET", "/v1/articles?kind=PRINCIPLE");
  ASSERT_EQ(principles.status, 200) << principles.body;
  EXPECT_EQ(Parse<content::ListArticlesResponse>(principles).articles_size(),
            4);

  const std::string what = "/v1/articles/what-is-motivational-interviewing";
  HttpReply page = Call("GET", what);
  ASSERT_EQ(page.status, 200) << page.body;
  const content::Article article = Parse<content::Article>(page);
  EXPECT_THAT(article.body_html(), ::testing::HasSubstr("<h2>"));
  const std::string etag = page.Header("etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(Call("GET", what, {{"if-none-match", etag}}).status, 304);
  EXPECT_EQ(Call("GET", what, {{"if-none-match", "\"stale\""}}).status, 200);

  HttpReply found = Call("POST", "/v1/articles:search", {},
                         R"({"query":"roll with resist"})");
  ASSERT_EQ(found.status, 200) << found.body;
  const auto results = Parse<content::SearchArticlesResponse>(found);
  ASSERT_GT(results.results_size(), 0) << found.body;
  EXPECT_EQ(results.results(0).article().name(),
            "articles/principle-roll-with-resistance");
  EXPECT_THAT(results.results(0).snippet(), ::testing::HasSubstr("["));
  EXPECT_EQ(
      Call("POST", "/v1/articles:search", {}, R"({"query":"\"*("})").status,
      400);

  // Pre-course reading: refused to anyone, read with a booking's token.
  const std::string reading = "/v1/articles/before-your-workshop";
  EXPECT_EQ(Call("GET", reading).status, 403);
  const std::string session = SessionStartingIn(absl::Hours(24 * 30));
  const booking::Booking booked = Book(session, 7);
  HttpReply opened =
      Call("GET", absl::StrCat(reading, "?booking=", booked.name()),
           {Bearer(booked.manage_token())});
  EXPECT_EQ(opened.status, 200) << opened.body;
  EXPECT_EQ(opened.Header("cache-control"), "no-store");
}

}  // namespace
}  // namespace training::testing

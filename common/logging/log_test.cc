#include "common/logging/log.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/grpc.h"
#include "grpc/support/log.h"
#include "gtest/gtest.h"

namespace training::log {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// An attendee-like record, as later services will hold it.
struct Attendee {
  std::string display_name = "Jane Smith-O'Neill";
  std::string email = "jane.smith@family-services.example.gov.uk";
  std::string organisation = "Northshire Family Services";
  std::string access_needs = "hearing loop";
  std::string api_key = "trk_Q2hhcmxpZUJyb3duSXNOb3RBS2V5QXRBbGwxMjM0NTY";
  // The shapes the suite really issues: a manage token is 43 characters of
  // URL-safe base64 with no prefix; a token secret sits after its kid.
  std::string manage_token = "vJ3x_Qm8T0pLr2Zk-9aWcYd4EfHgN6sBiU1oXtR7nMq";
  std::string token_secret = "k1:Zp0Q-hT5wLm2Rk9xVb7N_cJ3dYf8GsA1eUo4iKn6Wq0";
};

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Configure("test", Level::kDebug);
    SetSinkForTest(
        [this](absl::string_view line) { lines_.emplace_back(line); });
  }
  void TearDown() override { SetSinkForTest(nullptr); }

  std::string All() const {
    std::string all;
    for (const auto& l : lines_) all += l;
    return all;
  }

  std::vector<std::string> lines_;
};

TEST_F(LogTest, WritesOneJsonObjectPerLine) {
  Info("booking.confirmed", {{"booking", Id("bookings/K7QXM4RA")},
                             {"batch_size", 12},
                             {"late", false},
                             {"took", absl::Milliseconds(3)},
                             {"mode", "sqlite"}});

  ASSERT_EQ(lines_.size(), 1u);
  const std::string& line = lines_[0];
  EXPECT_EQ(line.front(), '{');
  EXPECT_EQ(line.substr(line.size() - 2), "}\n");
  EXPECT_THAT(line, HasSubstr("\"msg\":\"booking.confirmed\""));
  EXPECT_THAT(line, HasSubstr("\"booking\":\"bookings/K7QXM4RA\""));
  EXPECT_THAT(line, HasSubstr("\"batch_size\":12"));
  EXPECT_THAT(line, HasSubstr("\"late\":false"));
  EXPECT_THAT(line, HasSubstr("\"took\":3"));
  EXPECT_THAT(line, HasSubstr("\"mode\":\"sqlite\""));
  EXPECT_THAT(line, HasSubstr("\"service\":\"test\""));
}

TEST_F(LogTest, NoPersonalFieldReachesTheOutputWhateverTheRoute) {
  Attendee a;

  // Every way a careless caller could try to log the record: as an id, as
  // a redacted value, and inside external text of the kinds that reach
  // logs (a database's duplicate-key detail, a peer's message, headers).
  for (const std::string* value :
       {&a.display_name, &a.email, &a.organisation, &a.access_needs, &a.api_key,
        &a.manage_token, &a.token_secret}) {
    Info("attempt", {{"as_id", Id(*value)}, {"redacted", Redacted(*value)}});
  }
  Error("db",
        {{"error", ScrubbedText("duplicate key value violates unique "
                                "constraint; Key (email, display_name)=(" +
                                a.email + ", " + a.display_name +
                                ") already exists.")}});
  Error("peer", {{"error", ScrubbedText("rejected " + a.email +
                                        "; authorization: Bearer " + a.api_key +
                                        " token " + a.manage_token)}});
  Error("config", {{"error", ScrubbedText("cannot parse " + a.token_secret +
                                          ",token=" + a.manage_token)}});
  for (const std::string* credential : {&a.api_key, &a.manage_token}) {
    ScopedLogContext context(*credential, "0af7651916cd43dd8448eb211c80319c");
    Info("with.context");
  }
  // gRPC's own log lines only flow once gRPC has initialised its verbosity.
  grpc_init();
  RouteGrpcLogs();
  const std::string grpc_text = "peer sent " + a.email + " " + a.manage_token;
  gpr_log_message(__FILE__, __LINE__, GPR_LOG_SEVERITY_ERROR,
                  grpc_text.c_str());
  grpc_shutdown();

  const std::string all = All();
  EXPECT_GE(lines_.size(), 10u);
  EXPECT_THAT(all, HasSubstr("[redacted]"));
  EXPECT_THAT(all, HasSubstr("[not-an-id]"));
  EXPECT_THAT(all, HasSubstr("\"msg\":\"grpc\""));
  for (const std::string& secret :
       {a.display_name, a.email, std::string("jane.smith"), a.organisation,
        a.access_needs, a.api_key, a.manage_token, a.token_secret.substr(3),
        std::string("family-services.example")}) {
    EXPECT_THAT(all, Not(HasSubstr(secret))) << "leaked: " << secret;
  }
}

// The guard works by shape, so it must not swallow the identifiers logs
// are for: slugs, UUIDs, hex ids and resource names of any length.
TEST_F(LogTest, CredentialShapesAreCaughtAndIdentifiersAreNot) {
  for (const char* credential :
       {"vJ3x_Qm8T0pLr2Zk-9aWcYd4EfHgN6sBiU1oXtR7nMq",
        "trk_Q2hhcmxpZUJyb3duSXNOb3RBS2V5QXRBbGwxMjM0NTY",
        "bookings/K7QXM4RA?t=vJ3x_Qm8T0pLr2Zk-9aWcYd4EfHgN6sBiU1oXtR7nMq"}) {
    SCOPED_TRACE(credential);
    EXPECT_TRUE(LooksLikeCredential(credential));
    EXPECT_THAT(Scrub(credential), HasSubstr("[redacted]"));
  }
  for (const char* id :
       {"courses/introduction-to-motivational-interviewing-for-practitioners",
        "0af7651916cd43dd8448eb211c80319c0af7651916cd43dd8448eb211c80319c",
        "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f",
        "training.booking.v1.BookingService/ListParticipationSummaries",
        "bookings/K7QXM4RA"}) {
    SCOPED_TRACE(id);
    EXPECT_FALSE(LooksLikeCredential(id));
    EXPECT_EQ(Id(id).ToJson(), absl::StrCat("\"", id, "\""));
  }
}

TEST_F(LogTest, CarriesRequestAndTraceIdsOfTheCurrentCall) {
  {
    ScopedLogContext context("req-123", "4bf92f3577b34da6a3ce929d0e0e4736");
    Info("inside");
  }
  Info("outside");

  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_THAT(lines_[0], HasSubstr("\"request_id\":\"req-123\""));
  EXPECT_THAT(lines_[0],
              HasSubstr("\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\""));
  EXPECT_THAT(lines_[1], Not(HasSubstr("request_id")));
}

TEST_F(LogTest, EscapesControlCharactersAndQuotes) {
  Info("escape", {{"text", ScrubbedText("a\"b\\c\nd\x01")}});

  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_THAT(lines_[0], HasSubstr(R"("text":"a\"b\\c\nd\u0001")"));
}

TEST_F(LogTest, DropsLinesBelowTheConfiguredLevel) {
  Configure("test", Level::kWarning);

  Info("quiet");
  Error("loud");

  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_THAT(lines_[0], HasSubstr("\"level\":\"error\""));
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kWarning));
  EXPECT_TRUE(Enabled(Level::kError));
}

TEST(LogLevelTest, ParsesKnownLevelsOnly) {
  Level level;
  EXPECT_TRUE(ParseLevel("WARNING", &level));
  EXPECT_EQ(level, Level::kWarning);
  EXPECT_FALSE(ParseLevel("verbose", &level));
}

}  // namespace
}  // namespace training::log

#include "gateway/openapi/openapi_document.h"

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "gateway/transcode/suite_services.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "training/transcodetest/v1/things.pb.h"

namespace training::gateway::openapi {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class OpenApiDocumentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto routes = transcode::RouteTable::Build(transcode::SuiteServices());
    ASSERT_TRUE(routes.ok()) << routes.status();
    routes_ = std::move(*routes);
    auto comments = DescriptorComments::Embedded();
    ASSERT_TRUE(comments.ok()) << comments.status();
    comments_ = std::move(*comments);
    document_ = BuildOpenApiDocument(*routes_, *comments_, {});
  }

  const Json& Operation(const std::string& path, const std::string& method) {
    EXPECT_TRUE(document_["paths"].contains(path)) << path;
    EXPECT_TRUE(document_["paths"][path].contains(method)) << path;
    return document_["paths"][path][method];
  }

  static std::set<std::string> ParameterNames(const Json& operation) {
    std::set<std::string> names;
    for (const Json& p : operation["parameters"]) {
      names.insert(p.contains("$ref") ? p["$ref"].get<std::string>()
                                      : p["name"].get<std::string>());
    }
    return names;
  }

  const Json& Schema(const std::string& name) {
    EXPECT_TRUE(document_["components"]["schemas"].contains(name)) << name;
    return document_["components"]["schemas"][name];
  }

  std::unique_ptr<transcode::RouteTable> routes_;
  std::unique_ptr<DescriptorComments> comments_;
  Json document_;
};

// Every route is one operation and every operation a route: a request made
// to the document's path, with any ids filled in, reaches the route whose
// operationId the document gives it.
TEST_F(OpenApiDocumentTest, RouteTableAndDocumentAgree) {
  const std::vector<std::string> ids = OperationIds(*routes_);
  std::map<const transcode::Route*, std::string> id_of;
  for (size_t i = 0; i < ids.size(); ++i) id_of[&routes_->routes()[i]] = ids[i];

  size_t operations = 0;
  std::set<std::string> seen_ids;
  for (const auto& [path, item] : document_["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      ++operations;
      std::string concrete = path;
      for (const Json& p : operation["parameters"]) {
        if (p.contains("in") && p["in"] == "path") {
          concrete = absl::StrReplaceAll(
              concrete, {{"{" + p["name"].get<std::string>() + "}", "x1"}});
        }
      }
      auto found = routes_->Find(absl::AsciiStrToUpper(method), concrete);
      ASSERT_TRUE(found.has_value()) << method << " " << path;
      EXPECT_EQ(id_of[found->route], operation["operationId"])
          << method << " " << path;
      EXPECT_TRUE(seen_ids.insert(operation["operationId"]).second);
    }
  }
  EXPECT_EQ(operations, routes_->routes().size());
}

TEST_F(OpenApiDocumentTest, CommentsBecomeSummariesAndDescriptions) {
  const Json& create = Operation("/v1/bookings", "post");
  EXPECT_THAT(create["summary"].get<std::string>(),
              StartsWith("Books a place"));
  EXPECT_THAT(create["description"].get<std::string>(),
              HasSubstr("WAITLISTED with a position"));
  EXPECT_EQ(create["x-grpc-method"],
            "/training.booking.v1.BookingService/CreateBooking");
  EXPECT_THAT(
      Schema("training.booking.v1.Attendee")["properties"]["displayName"]
                                            ["description"]
                                                .get<std::string>(),
      HasSubstr("Full name"));
}

TEST_F(OpenApiDocumentTest, FieldBehaviourBecomesRequiredAndReadOnly) {
  const Json& booking = Schema("training.booking.v1.Booking");
  EXPECT_THAT(booking["required"], Contains("attendee"));
  EXPECT_EQ(booking["properties"]["reference"]["readOnly"], true);
  EXPECT_FALSE(booking["properties"]["session"].contains("readOnly"));
  EXPECT_THAT(Schema("training.booking.v1.Attendee")["required"],
              Contains("displayName"));
}

TEST_F(OpenApiDocumentTest, UpdatesRequireNothingAndKeepReadOnlyOnReferences) {
  const Json& patch = Operation("/v1/courses/{course}", "patch");
  const Json& body =
      patch["requestBody"]["content"]["application/json"]["schema"];
  EXPECT_FALSE(body.contains("required")) << body.dump();
  EXPECT_TRUE(body["properties"].contains("title"));
  // A message- or enum-typed output-only field keeps readOnly where every
  // generator reads it: beside allOf, not beside $ref.
  const Json& state =
      Schema("training.booking.v1.Booking")["properties"]["state"];
  EXPECT_EQ(state["readOnly"], true);
  ASSERT_TRUE(state.contains("allOf"));
  EXPECT_FALSE(state.contains("$ref"));
  EXPECT_THAT(
      Schema("training.booking.v1.Booking")["properties"]["name"]["description"]
          .get<std::string>(),
      HasSubstr("sets on create"));
}

TEST_F(OpenApiDocumentTest, EnumsAreListedByName) {
  const Json& state = Schema("training.booking.v1.Booking.State");
  EXPECT_EQ(state["type"], "string");
  EXPECT_THAT(state["enum"], Contains("WAITLISTED"));
  EXPECT_THAT(state["description"].get<std::string>(),
              HasSubstr("`WAITLISTED`"));
}

TEST_F(OpenApiDocumentTest, SecurityFollowsTheAccessRule) {
  const Json& create = Operation("/v1/bookings", "post");
  EXPECT_THAT(create["security"], Contains(Json::object()));
  const Json& list = Operation("/v1/bookings", "get");
  EXPECT_EQ(list["security"].size(), 1u);
  EXPECT_THAT(list["security"][0]["apiKey"], Contains("bookings.read"));
  const Json& get = Operation("/v1/bookings/{booking}", "get");
  EXPECT_THAT(get["security"], Contains(Json{{"manageToken", Json::array()}}));
  EXPECT_THAT(get["description"].get<std::string>(), HasSubstr("manage token"));
  // Articles are public, and a manage token shows what its booking opens.
  const Json& article = Operation("/v1/articles/{article}", "get");
  EXPECT_THAT(article["security"], Contains(Json::object()));
  EXPECT_THAT(article["security"],
              Contains(Json{{"manageToken", Json::array()}}));
}

TEST_F(OpenApiDocumentTest, HeadersWhereTheyApply) {
  const std::string key = "#/components/parameters/IdempotencyKey";
  const std::string if_match = "#/components/parameters/IfMatch";
  const std::string if_none_match = "#/components/parameters/IfNoneMatch";
  EXPECT_THAT(ParameterNames(Operation("/v1/bookings", "post")), Contains(key));
  EXPECT_THAT(ParameterNames(Operation("/v1/courses/{course}", "patch")),
              Contains(if_match));
  const Json& get_course = Operation("/v1/courses/{course}", "get");
  EXPECT_THAT(ParameterNames(get_course), Contains(if_none_match));
  EXPECT_TRUE(get_course["responses"].contains("304"));
  EXPECT_TRUE(get_course["responses"]["200"]["headers"].contains("ETag"));
  EXPECT_FALSE(ParameterNames(get_course).count(key));
  const Json& limited = document_["components"]["responses"]["TooManyRequests"];
  EXPECT_TRUE(limited["headers"].contains("Retry-After"));
  EXPECT_TRUE(limited["headers"].contains("RateLimit-Remaining"));
}

TEST_F(OpenApiDocumentTest, QueryParametersUseJsonNamesAndLeaveOutThePath) {
  const Json& list = Operation("/v1/courses/{course}/sessions", "get");
  std::set<std::string> names = ParameterNames(list);
  EXPECT_TRUE(names.count("pageSize"));
  EXPECT_FALSE(names.count("parent"));
  EXPECT_FALSE(names.count("page_size"));
  // A body route takes no query.
  for (const Json& p :
       Operation("/v1/bookings/{booking}:cancel", "post")["parameters"]) {
    EXPECT_NE(p.value("in", ""), "query") << p.dump();
  }
}

TEST_F(OpenApiDocumentTest, WholeBodyLeavesOutWhatThePathSets) {
  const Json& body =
      Operation("/v1/bookings/{booking}:cancel",
                "post")["requestBody"]["content"]["application/json"]["schema"];
  EXPECT_FALSE(body["properties"].contains("name"));
  EXPECT_TRUE(body["properties"].contains("requestId"));
  if (body.contains("required")) {
    EXPECT_THAT(body["required"], ::testing::Not(Contains("name")));
  }
}

// The JSON mapping's forms, on the test contract's scalar zoo.
TEST(SchemaBuilderTest, ScalarsAndWellKnownTypesAsTheJsonMappingWritesThem) {
  auto comments = DescriptorComments::Embedded();
  ASSERT_TRUE(comments.ok());
  SchemaBuilder builder(comments->get());
  const auto* list =
      training::transcodetest::v1::ListThingsRequest::descriptor();
  auto schema_of = [&](const char* field) {
    return builder.FieldSchema(list->FindFieldByName(field));
  };
  EXPECT_EQ(schema_of("big")["type"], "string");
  EXPECT_EQ(schema_of("big")["format"], "uint64");
  EXPECT_EQ(schema_of("weight")["type"], "number");
  EXPECT_EQ(schema_of("blob")["contentEncoding"], "base64");
  EXPECT_EQ(schema_of("after")["format"], "date-time");
  EXPECT_EQ(schema_of("min_rank")["type"], Json({"integer", "null"}));
}

}  // namespace
}  // namespace training::gateway::openapi

#include "gateway/transcode/request_mapping.h"

#include "common/status/errors.h"
#include "gateway/transcode/testdata/things_table.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "training/transcodetest/v1/things.pb.h"

namespace training::gateway::transcode {
namespace {

namespace tt = training::transcodetest::v1;
using ::testing::ElementsAre;
using ::testing::Field;

class RequestMappingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = ThingsTable();
    ASSERT_NE(table_, nullptr);
  }

  // Maps method + target (+ body) as the gateway would.
  template <typename T>
  absl::StatusOr<T> Map(const char* method, const std::string& target,
                        const std::string& body = "",
                        const std::string& content_type = "") {
    size_t q = target.find('?');
    auto found = table_->Find(method, target.substr(0, q));
    if (!found.has_value()) return absl::NotFoundError("no route");
    HttpRequestParts parts;
    parts.path_values = found->values;
    std::string query =
        q == std::string::npos ? std::string() : target.substr(q + 1);
    parts.query = query;
    parts.body = body;
    parts.content_type = content_type;
    auto request = BuildRequest(*found->route, parts);
    if (!request.ok()) return request.status();
    T typed;
    typed.CopyFrom(**request);
    return typed;
  }

  static std::vector<FieldViolation> Violations(const absl::Status& status) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    return GetFieldViolations(status);
  }

  std::unique_ptr<RouteTable> table_;
};

TEST_F(RequestMappingTest, PathVariablesSetNestedFields) {
  auto get = Map<tt::GetThingRequest>("GET", "/v1/shelves/s1/things/t%201");
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->name(), "shelves/s1/things/t 1");

  auto update = Map<tt::UpdateThingRequest>(
      "PATCH", "/v1/shelves/s1/things/t1?updateMask=displayName,colour",
      R"({"name":"shelves/s1/things/t1","displayName":"Blue","colour":"GREEN"})");
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_EQ(update->thing().name(), "shelves/s1/things/t1");
  EXPECT_EQ(update->thing().display_name(), "Blue");
  EXPECT_EQ(update->thing().colour(), tt::GREEN);
  EXPECT_THAT(update->update_mask().paths(),
              ElementsAre("display_name", "colour"));
}

// A body naming another resource than the path is refused, not
// overwritten: the caller would believe it changed the one it named.
TEST_F(RequestMappingTest, ABodyNamingAnotherResourceIsRefused) {
  auto other = Map<tt::UpdateThingRequest>(
      "PATCH", "/v1/shelves/s1/things/t1?updateMask=displayName",
      R"({"name":"shelves/s1/things/t2","displayName":"Blue"})");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(other.status().message(), ::testing::HasSubstr("thing.name"));
  EXPECT_THAT(other.status().message(),
              ::testing::HasSubstr("differs from the path"));
}

TEST_F(RequestMappingTest, EveryQueryParameterType) {
  auto list = Map<tt::ListThingsRequest>(
      "GET",
      "/v1/shelves/s/things?pageSize=20&page_token=abc&colour=RED&tags=a"
      "&tags=b%20c&inner.label=x+y&inner.rank=-3"
      "&after=2027-01-20T09:30:00Z&within=1.5s&readMask=displayName,name"
      "&minRank=4&onlyOpen=1&weight=2.5&blob=aGk&big=18446744073709551615"
      "&colours=RED&colours=2");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->parent(), "shelves/s");
  EXPECT_EQ(list->page_size(), 20);
  EXPECT_EQ(list->page_token(), "abc");
  EXPECT_EQ(list->colour(), tt::RED);
  EXPECT_THAT(list->tags(), ElementsAre("a", "b c"));
  EXPECT_EQ(list->inner().label(), "x y");
  EXPECT_EQ(list->inner().rank(), -3);
  EXPECT_EQ(google::protobuf::util::TimeUtil::ToString(list->after()),
            "2027-01-20T09:30:00Z");
  EXPECT_EQ(list->within().seconds(), 1);
  EXPECT_EQ(list->within().nanos(), 500000000);
  EXPECT_THAT(list->read_mask().paths(), ElementsAre("display_name", "name"));
  ASSERT_TRUE(list->has_min_rank());
  EXPECT_EQ(list->min_rank().value(), 4);
  EXPECT_TRUE(list->only_open());
  EXPECT_DOUBLE_EQ(list->weight(), 2.5);
  EXPECT_EQ(list->blob(), "hi");
  EXPECT_EQ(list->big(), 18446744073709551615ull);
  EXPECT_THAT(list->colours(), ElementsAre(tt::RED, tt::GREEN));
}

TEST_F(RequestMappingTest, BadQueryParametersAreNamed) {
  auto list = Map<tt::ListThingsRequest>(
      "GET",
      "/v1/shelves/s/things?bogus=1&pageSize=x&colour=PURPLE&after=yesterday"
      "&onlyOpen=yes&parent=shelves/t&pageToken=a&pageToken=b&inner=1"
      "&inner.nope=2&within=ten");
  ASSERT_FALSE(list.ok());
  auto violations = Violations(list.status());
  std::vector<std::string> fields;
  for (const auto& v : violations) fields.push_back(v.field);
  EXPECT_THAT(fields, ElementsAre("bogus", "page_size", "colour", "after",
                                  "only_open", "parent", "page_token", "inner",
                                  "inner.nope", "within"));
  for (const auto& v : violations) {
    EXPECT_EQ(v.description.find("PURPLE"), std::string::npos)
        << "never the value";
  }
}

TEST_F(RequestMappingTest, BodyStarTakesNoQuery) {
  auto rename =
      Map<tt::RenameThingRequest>("POST", "/v1/shelves/s/things/t:rename",
                                  R"({"newName":"n","requestId":"r"})");
  ASSERT_TRUE(rename.ok()) << rename.status();
  EXPECT_EQ(rename->name(), "shelves/s/things/t");
  EXPECT_EQ(rename->new_name(), "n");
  EXPECT_EQ(rename->request_id(), "r");

  auto query = Map<tt::RenameThingRequest>(
      "POST", "/v1/shelves/s/things/t:rename?newName=n", "{}");
  ASSERT_FALSE(query.ok());
  EXPECT_THAT(Violations(query.status()),
              ElementsAre(Field(&FieldViolation::field, "newName")));

  auto empty =
      Map<tt::RenameThingRequest>("POST", "/v1/shelves/s/things/t:rename");
  ASSERT_TRUE(empty.ok()) << "an empty body is an empty message";
}

TEST_F(RequestMappingTest, BodyErrorsNameTheField) {
  auto unknown = Map<tt::UpdateThingRequest>("PATCH", "/v1/shelves/s/things/t",
                                             R"({"inner":{"lable":"x"}})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(
      Violations(unknown.status()),
      ElementsAre(FieldViolation{"thing.inner.lable", "unknown field"}));

  auto wrong_type = Map<tt::UpdateThingRequest>(
      "PATCH", "/v1/shelves/s/things/t", R"({"colour":"PURPLE"})");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_THAT(Violations(wrong_type.status()),
              ElementsAre(Field(&FieldViolation::field, "thing.colour")));

  auto not_json =
      Map<tt::UpdateThingRequest>("PATCH", "/v1/shelves/s/things/t", "{");
  ASSERT_FALSE(not_json.ok());
  EXPECT_THAT(Violations(not_json.status()),
              ElementsAre(Field(&FieldViolation::field, "thing")));

  auto body_in_query = Map<tt::UpdateThingRequest>(
      "PATCH", "/v1/shelves/s/things/t?thing.displayName=x", "{}");
  ASSERT_FALSE(body_in_query.ok());
  EXPECT_THAT(Violations(body_in_query.status()),
              ElementsAre(Field(&FieldViolation::field, "thing.display_name")));

  auto body_on_get =
      Map<tt::GetThingRequest>("GET", "/v1/shelves/s/things/t", "{}");
  ASSERT_FALSE(body_on_get.ok());
}

TEST_F(RequestMappingTest, ScalarBodyField) {
  auto label = Map<tt::LabelRequest>("POST", "/v1/shelves/s/things/t:label",
                                     R"("urgent")");
  ASSERT_TRUE(label.ok()) << label.status();
  EXPECT_EQ(label->label(), "urgent");
  auto injected = Map<tt::LabelRequest>("POST", "/v1/shelves/s/things/t:label",
                                        R"("a","name":"x")");
  EXPECT_FALSE(injected.ok()) << "a body is one JSON value, nothing more";
}

TEST_F(RequestMappingTest, HttpBodyRequestTakesTheRawBody) {
  auto upload = Map<tt::UploadRequest>("PUT", "/v1/shelves/s/things/t/file",
                                       "a,b\r\n1,2\r\n", "text/csv");
  ASSERT_TRUE(upload.ok()) << upload.status();
  EXPECT_EQ(upload->file().content_type(), "text/csv");
  EXPECT_EQ(upload->file().data(), "a,b\r\n1,2\r\n");
}

TEST_F(RequestMappingTest, DoubleWildcardBindsTheRest) {
  auto file = Map<tt::FileRequest>("GET", "/v1/files/a/b%2Fc/d.txt");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->path(), "a/b%2Fc/d.txt");
}

TEST_F(RequestMappingTest, InvalidUtf8IsRefused) {
  auto list =
      Map<tt::ListThingsRequest>("GET", "/v1/shelves/s/things?pageToken=%FF");
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(Violations(list.status()),
              ElementsAre(FieldViolation{"page_token", "must be UTF-8 text"}));
  auto path = Map<tt::GetThingRequest>("GET", "/v1/things/%C0%80");
  EXPECT_FALSE(path.ok());
}

}  // namespace
}  // namespace training::gateway::transcode

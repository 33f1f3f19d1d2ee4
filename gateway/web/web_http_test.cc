#include "gateway/web/web_http.h"

#include "common/text/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::gateway::web {
namespace {

using ::testing::Optional;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST(WebHttpTest, FormsDecodeAsBrowsersEncodeThem) {
  EXPECT_THAT(DecodeForm("full_name=Sam+O%27Neil&email=s%40x.org&empty="),
              Optional(UnorderedElementsAre(Pair("full_name", "Sam O'Neil"),
                                            Pair("email", "s@x.org"),
                                            Pair("empty", ""))));
  EXPECT_THAT(DecodeForm("name=%C3%A9"),
              Optional(UnorderedElementsAre(Pair("name", "é"))));
}

TEST(WebHttpTest, MalformedFormsAreRefused) {
  EXPECT_EQ(DecodeForm("a=%4"), std::nullopt);
  EXPECT_EQ(DecodeForm("a=%zz"), std::nullopt);
  EXPECT_EQ(DecodeForm("a=%ff"), std::nullopt);  // not UTF-8
  std::string many;
  for (int i = 0; i < 51; ++i) many += "f" + std::to_string(i) + "=x&";
  EXPECT_EQ(DecodeForm(many), std::nullopt);
}

TEST(WebHttpTest, CookiesAreFoundByExactName) {
  http::HttpRequest request;
  request.headers = {{"cookie", "manage_AB=1; form_guard=abc"},
                     {"cookie", "manage_ABC=2"}};
  EXPECT_EQ(CookieValue(request, "form_guard"), "abc");
  EXPECT_EQ(CookieValue(request, "manage_ABC"), "2");
  EXPECT_EQ(CookieValue(request, "manage_A"), "");
}

TEST(WebHttpTest, CookiesAreHttpOnlyAndStrict) {
  EXPECT_EQ(SetCookie("a", "b", {.secure = true, .max_age = absl::Hours(1)}),
            "a=b; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=3600");
  EXPECT_EQ(ClearCookie("a", {.secure = false}),
            "a=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  EXPECT_EQ(SetCookie("a", "1", {.secure = false, .lax = true}),
            "a=1; Path=/; HttpOnly; SameSite=Lax");
  EXPECT_EQ(CookieOptions{.secure = true}.Name("a"), "__Host-a");
  EXPECT_EQ(CookieOptions{.secure = false}.Name("a"), "a");
}

TEST(WebHttpTest, DerivedRequestIdsFollowTheFormAndItsFields) {
  const std::string key = NewUuid();
  const std::string a =
      DerivedRequestId(key, "cancel:K7QXM4RA", {{"reason", ""}});
  EXPECT_TRUE(text::IsUuid(a)) << a;
  EXPECT_EQ(a[14], '8');
  EXPECT_EQ(a, DerivedRequestId(key, "cancel:K7QXM4RA", {{"reason", ""}}));
  EXPECT_NE(a, DerivedRequestId(key, "cancel:K7QXM4RA", {{"reason", "ill"}}));
  EXPECT_NE(a, DerivedRequestId(key, "leave:K7QXM4RA", {{"reason", ""}}));
  EXPECT_NE(a,
            DerivedRequestId(NewUuid(), "cancel:K7QXM4RA", {{"reason", ""}}));
  // Lengths are part of the material: fields cannot be shifted between
  // names.
  EXPECT_NE(DerivedRequestId(key, "s", {{"a", "b\nc=1:d"}}),
            DerivedRequestId(key, "s", {{"a", "b"}, {"c", "d"}}));
}

TEST(WebHttpTest, UuidsAreVersionFourAndDiffer) {
  const std::string a = NewUuid(), b = NewUuid();
  EXPECT_TRUE(text::IsUuid(a)) << a;
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(a, b);
  EXPECT_EQ(UrlEncode("a b/é~"), "a%20b%2F%C3%A9~");
}

}  // namespace
}  // namespace training::gateway::web

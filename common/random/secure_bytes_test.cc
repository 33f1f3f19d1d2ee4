#include "common/random/secure_bytes.h"

#include "gtest/gtest.h"

namespace training::random {
namespace {

TEST(SecureBytesTest, GivesDifferentBytesOfTheLengthAskedFor) {
  auto a = SecureBytes(32);
  auto b = SecureBytes(32);

  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
}

TEST(SecureBytesTest, AFailingGeneratorIsAnErrorNotBytes) {
  ScopedSecureBytesFailureForTest failing;

  auto bytes = SecureBytes(32);

  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace training::random

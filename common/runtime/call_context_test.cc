#include "common/runtime/call_context.h"

#include "gtest/gtest.h"

namespace training::runtime {
namespace {

TEST(TraceContextTest, ContinuesAValidTraceWithANewSpan) {
  auto trace = TraceContext::FromHeader(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "vendor=x");

  EXPECT_EQ(trace.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(trace.span_id, "00f067aa0ba902b7");
  EXPECT_EQ(trace.span_id.size(), 16u);
  EXPECT_EQ(trace.tracestate, "vendor=x");
  EXPECT_EQ(trace.ToHeader(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-" + trace.span_id + "-01");
}

TEST(TraceContextTest, StartsANewTraceForInvalidHeaders) {
  for (const char* header :
       {"", "garbage",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}) {
    SCOPED_TRACE(header);
    auto trace = TraceContext::FromHeader(header, "");
    EXPECT_EQ(trace.trace_id.size(), 32u);
    EXPECT_NE(trace.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_NE(trace.trace_id, "00000000000000000000000000000000");
  }
}

TEST(RequestIdTest, KeepsSafeIdsAndReplacesOthers) {
  EXPECT_EQ(AcceptOrMintRequestId("req-42.a_b:c"), "req-42.a_b:c");
  for (const char* bad : {"", "has space", "x@y", "quote\"d"}) {
    SCOPED_TRACE(bad);
    std::string minted = AcceptOrMintRequestId(bad);
    EXPECT_EQ(minted.size(), 32u);
    EXPECT_NE(minted, bad);
  }
  EXPECT_EQ(AcceptOrMintRequestId(std::string(129, 'a')).size(), 32u);
}

}  // namespace
}  // namespace training::runtime

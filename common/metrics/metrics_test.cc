#include "common/metrics/metrics.h"

#include "common/metrics/metrics_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace training::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, CountersRenderWithLabels) {
  Registry registry;
  auto& calls = registry.Counter("rpc_total", "Calls.", {"method", "code"});

  calls.Add({"Get", "OK"});
  calls.Add({"Get", "OK"});
  calls.Add({"Get", "NOT_FOUND"});

  EXPECT_EQ(calls.Value({"Get", "OK"}), 2);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE rpc_total counter"));
  EXPECT_THAT(text, HasSubstr("rpc_total{code=\"OK\",method=\"Get\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("rpc_total{code=\"NOT_FOUND\",method=\"Get\"} 1\n"));
}

TEST(MetricsTest, ChildrenKeptByCallersAreTheFamilysOwn) {
  Registry registry;
  auto& calls = registry.Counter("kept_total", "Calls.", {"method"});
  auto& latency = registry.Histogram("kept_seconds", "Latency.", {"method"});

  prometheus::Counter& get = calls.Child({"Get"});
  get.Increment(2);
  calls.Add({"Get"});
  prometheus::Histogram& seconds = latency.Child({"Get"});
  seconds.Observe(0.1);
  latency.Observe({"Get"}, 0.2);

  EXPECT_EQ(calls.Value({"Get"}), 3);
  EXPECT_EQ(&calls.Child({"Get"}), &get);
  EXPECT_EQ(latency.Count({"Get"}), 2u);
  EXPECT_EQ(&latency.Child({"Get"}), &seconds);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Registry registry;
  auto& latency =
      registry.Histogram("latency_seconds", "Latency.", {"m"}, {0.1, 1});

  latency.Observe({"a"}, 0.05);
  latency.Observe({"a"}, 0.5);
  latency.Observe({"a"}, 5);

  const std::string text = registry.Render();
  EXPECT_THAT(text,
              HasSubstr("latency_seconds_bucket{m=\"a\",le=\"0.1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{m=\"a\",le=\"1\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("latency_seconds_bucket{m=\"a\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_count{m=\"a\"} 3\n"));
  EXPECT_EQ(latency.Count({"a"}), 3u);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Registry registry;
  registry.Counter("c", "C.", {"l"}).Add({"a\"b\\c"});

  EXPECT_THAT(registry.Render(), HasSubstr(R"(c{l="a\"b\\c"} 1)"));
}

TEST(MetricsTest, ServesTheRegistryOverHttp) {
  Registry registry;
  registry.Counter("served_total", "Served.", {}).Add({});
  registry.Gauge("answer", "The answer.", [] { return 42.0; });

  auto server = MetricsServer::Start("127.0.0.1", 0, &registry);

  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_GT((*server)->port(), 0);
  auto taken = MetricsServer::Start("127.0.0.1", (*server)->port(), &registry);
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kUnavailable);
}

TEST(MetricsTest, ProcessMetricsAreRead) {
  Registry registry;
  registry.AddProcessMetrics();

  const std::string text = registry.Render();

  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes "));
  EXPECT_THAT(text, HasSubstr("process_cpu_seconds_total "));
  EXPECT_THAT(text, HasSubstr("process_open_fds "));
  EXPECT_THAT(text,
              ::testing::Not(HasSubstr("process_resident_memory_bytes 0\n")));
}

}  // namespace
}  // namespace training::metrics

// Per-call costs the runtime adds to every RPC: the access check (key hash
// and look-up), minting ids, and writing the call's log line. Run:
//   build/bench/runtime_bench --benchmark_repetitions=5
//     --benchmark_min_time=2 --benchmark_report_aggregates_only=true

#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/auth/access.h"
#include "common/auth/api_keys.h"
#include "common/logging/log.h"
#include "common/runtime/call_context.h"

namespace {

using training::api::v1::AccessRule;

std::shared_ptr<const training::auth::KeySet> KeysWith(int count,
                                                       std::string* one_key) {
  std::string json = R"({"keys":[)";
  for (int i = 0; i < count; ++i) {
    std::string key = *training::auth::GenerateKey();
    if (i == count / 2) *one_key = key;
    absl::StrAppend(
        &json, i ? "," : "", R"({"name":"k)", i, R"(","sha256":")",
        training::auth::Sha256Hex(key),
        R"(","role":"AGENCY","organisation":"Org","scopes":["bookings.read"]})");
  }
  json += "]}";
  return *training::auth::KeySet::FromJson(json);
}

void BM_AuthorizeAgencyKey(benchmark::State& state) {
  std::string key;
  auto keys = KeysWith(static_cast<int>(state.range(0)), &key);
  AccessRule rule;
  rule.set_audience(training::api::v1::AGENCY);
  rule.set_scope("bookings.read");
  const std::string header = "Bearer " + key;
  for (auto _ : state) {
    auto principal = training::auth::Authorize(rule, header, *keys);
    benchmark::DoNotOptimize(principal);
  }
}
BENCHMARK(BM_AuthorizeAgencyKey)->Arg(10)->Arg(10000);

void BM_AuthorizeAnonymousPublic(benchmark::State& state) {
  std::string key;
  auto keys = KeysWith(10, &key);
  AccessRule rule;
  rule.set_audience(training::api::v1::PUBLIC);
  for (auto _ : state) {
    auto principal = training::auth::Authorize(rule, std::nullopt, *keys);
    benchmark::DoNotOptimize(principal);
  }
}
BENCHMARK(BM_AuthorizeAnonymousPublic);

void BM_TraceAndRequestId(benchmark::State& state) {
  for (auto _ : state) {
    auto trace = training::runtime::TraceContext::FromHeader(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "");
    auto id = training::runtime::AcceptOrMintRequestId("");
    benchmark::DoNotOptimize(trace);
    benchmark::DoNotOptimize(id);
  }
}
BENCHMARK(BM_TraceAndRequestId);

void BM_CallLogLine(benchmark::State& state) {
  size_t bytes = 0;
  training::log::SetSinkForTest(
      [&bytes](absl::string_view line) { bytes += line.size(); });
  training::log::ScopedLogContext context("req-1",
                                          "4bf92f3577b34da6a3ce929d0e0e4736");
  for (auto _ : state) {
    training::log::Info(
        "rpc",
        {{"method",
          training::log::Id("/training.booking.v1.BookingService/GetBooking")},
         {"code", absl::StatusCode::kOk},
         {"duration_ms", absl::Microseconds(420)},
         {"caller", "agency"}});
  }
  training::log::SetSinkForTest(nullptr);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_CallLogLine);

}  // namespace

BENCHMARK_MAIN();

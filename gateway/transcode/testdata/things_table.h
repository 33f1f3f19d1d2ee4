#ifndef TRAINING_GATEWAY_TRANSCODE_TESTDATA_THINGS_TABLE_H_
#define TRAINING_GATEWAY_TRANSCODE_TESTDATA_THINGS_TABLE_H_

// The route table of the test-only Things contract, for the transcoding
// tests.

#include <memory>

#include "gateway/transcode/route_table.h"
#include "gtest/gtest.h"
#include "training/transcodetest/v1/things.pb.h"

namespace training::gateway::transcode {

inline std::unique_ptr<RouteTable> ThingsTable() {
  // Referencing a generated type links the test contract's descriptors in.
  (void)training::transcodetest::v1::Thing::descriptor();
  auto table =
      RouteTable::Build({{"things", "training.transcodetest.v1.Things"}});
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *std::move(table) : nullptr;
}

}  // namespace training::gateway::transcode

#endif  // TRAINING_GATEWAY_TRANSCODE_TESTDATA_THINGS_TABLE_H_

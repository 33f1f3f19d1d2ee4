#ifndef TRAINING_COMMON_TIME_PROTO_TIME_H_
#define TRAINING_COMMON_TIME_PROTO_TIME_H_

// absl::Time/Duration <-> google.protobuf.Timestamp/Duration. (The SQL
// layer stores instants as absl::ToUnixMicros integers.)

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace training {

absl::Time FromProto(const google::protobuf::Timestamp& timestamp);
absl::Duration FromProto(const google::protobuf::Duration& duration);
google::protobuf::Timestamp ToProto(absl::Time time);
google::protobuf::Duration ToProto(absl::Duration duration);

// Whether the message holds a value (not the all-zero default).
inline bool IsSet(const google::protobuf::Timestamp& t) {
  return t.seconds() != 0 || t.nanos() != 0;
}
inline bool IsSet(const google::protobuf::Duration& d) {
  return d.seconds() != 0 || d.nanos() != 0;
}

}  // namespace training

#endif  // TRAINING_COMMON_TIME_PROTO_TIME_H_

#include "common/status/errors.h"

#include "common/status/grpc_status.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace training {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::training::testing::StatusIs;

TEST(ErrorsTest, InvalidArgumentNamesEveryField) {
  absl::Status status = InvalidArgumentError(
      {{"booking.attendee.email", "must be a work address"},
       {"request_id", "required"}});

  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("booking.attendee.email: must be")));
  EXPECT_THAT(GetFieldViolations(status),
              ElementsAre(FieldViolation{"booking.attendee.email",
                                         "must be a work address"},
                          FieldViolation{"request_id", "required"}));
}

TEST(ErrorsTest, RoundTripsThroughGrpcStatusWithEveryDetail) {
  absl::Status original = WithRetryInfo(
      WithErrorInfo(InvalidArgumentError({{"session", "unknown session"}}),
                    "SESSION_UNKNOWN", {{"session", "courses/mi/sessions/1"}}),
      absl::Milliseconds(1500));

  grpc::Status wire = ToGrpcStatus(original);
  absl::Status back = FromGrpcStatus(wire);

  EXPECT_EQ(wire.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(back.code(), original.code());
  EXPECT_EQ(back.message(), original.message());
  EXPECT_THAT(GetFieldViolations(back),
              ElementsAre(FieldViolation{"session", "unknown session"}));
  auto info = GetErrorInfo(back);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason, "SESSION_UNKNOWN");
  EXPECT_EQ(info->domain, kErrorDomain);
  EXPECT_EQ(info->metadata.at("session"), "courses/mi/sessions/1");
  EXPECT_EQ(GetRetryDelay(back), absl::Milliseconds(1500));
}

TEST(ErrorsTest, GrpcDetailsAreAGoogleRpcStatus) {
  absl::Status status = WithErrorInfo(
      absl::FailedPreconditionError("session is full"), "SESSION_FULL");

  grpc::Status wire = ToGrpcStatus(status);

  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(wire.error_details()));
  EXPECT_EQ(rpc.code(),
            static_cast<int>(absl::StatusCode::kFailedPrecondition));
  ASSERT_EQ(rpc.details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "SESSION_FULL");
}

TEST(ErrorsTest, OkStaysOkAndDetailsAreNotAttachedToIt) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
  EXPECT_TRUE(WithErrorInfo(absl::OkStatus(), "X").ok());
}

TEST(ErrorsTest, PlainGrpcStatusWithoutDetailsReadsBack) {
  absl::Status back =
      FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));

  EXPECT_THAT(back, StatusIs(absl::StatusCode::kUnavailable, "down"));
  EXPECT_TRUE(GetFieldViolations(back).empty());
  EXPECT_FALSE(GetRetryDelay(back).has_value());
}

TEST(ErrorsTest, ATransactionConflictIsAbortedMarkedAndNeverSent) {
  absl::Status conflict = TransactionConflictError("booking: placed meanwhile");
  absl::Status stale_etag = absl::AbortedError("etag: changed");

  grpc::Status wire = ToGrpcStatus(conflict);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(wire.error_details()));

  EXPECT_THAT(conflict, StatusIs(absl::StatusCode::kAborted));
  EXPECT_TRUE(IsTransactionConflict(conflict));
  EXPECT_FALSE(IsTransactionConflict(stale_etag));
  EXPECT_FALSE(IsTransactionConflict(absl::UnavailableError("down")));
  EXPECT_EQ(details.details_size(), 0) << "the mark stays in the process";
  EXPECT_FALSE(IsTransactionConflict(FromGrpcStatus(wire)));
}

}  // namespace
}  // namespace training

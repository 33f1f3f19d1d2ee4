// The in-memory copy's rules: only newer versions replace a figure,
// figures expire, a suspended copy serves and takes nothing but remembers
// the versions it saw, and a figure read before a suspension is refused.

#include "services/booking/availability_copy.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace training::booking {
namespace {

constexpr char kA[] = "courses/intro-mi/sessions/a";
constexpr char kB[] = "courses/intro-mi/sessions/b";
const absl::Time kNow = absl::FromUnixSeconds(1800000000);
const absl::Time kLater = kNow + absl::Seconds(5);

v1::Availability Seats(const std::string& session, int confirmed) {
  v1::Availability a;
  a.set_session(session);
  a.set_confirmed(confirmed);
  return a;
}

int ConfirmedOf(const AvailabilityCopy& copy, const std::string& session,
                absl::Time at = kNow) {
  auto figure = copy.Lookup({session}, at)[0];
  return figure ? figure->confirmed() : -1;
}

TEST(AvailabilityCopyTest, OnlyANewerVersionReplacesALiveFigure) {
  AvailabilityCopy copy;
  EXPECT_TRUE(copy.Offer(Seats(kA, 5), 5, kLater, copy.epoch(), kNow));
  EXPECT_FALSE(copy.Offer(Seats(kA, 4), 4, kLater, copy.epoch(), kNow));
  EXPECT_FALSE(copy.Offer(Seats(kA, 9), 5, kLater, copy.epoch(), kNow));
  EXPECT_EQ(ConfirmedOf(copy, kA), 5);
  EXPECT_TRUE(copy.Offer(Seats(kA, 6), 6, kLater, copy.epoch(), kNow));
  EXPECT_EQ(ConfirmedOf(copy, kA), 6);
  EXPECT_EQ(copy.VersionSeen(kA, kNow), 6);
}

TEST(AvailabilityCopyTest, FiguresExpireAndThenAnyVersionIsTaken) {
  AvailabilityCopy copy;
  ASSERT_TRUE(copy.Offer(Seats(kA, 5), 9, kLater, copy.epoch(), kNow));
  EXPECT_EQ(ConfirmedOf(copy, kA, kLater), -1);
  EXPECT_EQ(copy.VersionSeen(kA, kLater), 0);
  EXPECT_TRUE(copy.Offer(Seats(kA, 1), 1, kLater + absl::Seconds(5),
                         copy.epoch(), kLater));
  EXPECT_EQ(ConfirmedOf(copy, kA, kLater), 1);
}

TEST(AvailabilityCopyTest, LookupAllAnswersOnlyWhenEverySessionIsHeld) {
  AvailabilityCopy copy;
  ASSERT_TRUE(copy.Offer(Seats(kA, 1), 1, kLater, copy.epoch(), kNow));
  EXPECT_FALSE(copy.LookupAll({kA, kB}, kNow).has_value());
  ASSERT_TRUE(copy.Offer(Seats(kB, 2), 1, kLater, copy.epoch(), kNow));

  auto both = copy.LookupAll({kB, kA}, kNow);

  ASSERT_TRUE(both.has_value());
  EXPECT_EQ((*both)[0].confirmed(), 2);
  EXPECT_EQ((*both)[1].confirmed(), 1);
  EXPECT_FALSE(copy.LookupAll({kA, kB}, kLater).has_value());
}

TEST(AvailabilityCopyTest, ASuspendedCopyServesNothingButRemembersVersions) {
  AvailabilityCopy copy;
  ASSERT_TRUE(copy.Offer(Seats(kA, 5), 5, kLater, copy.epoch(), kNow));

  copy.Suspend();

  EXPECT_TRUE(copy.suspended());
  EXPECT_EQ(ConfirmedOf(copy, kA), -1);
  EXPECT_FALSE(copy.Offer(Seats(kA, 6), 6, kLater, copy.epoch(), kNow));
  EXPECT_EQ(copy.VersionSeen(kA, kNow), 6) << "seen, though not taken";
  copy.Resume();
  EXPECT_FALSE(copy.Offer(Seats(kA, 5), 5, kLater, copy.epoch(), kNow))
      << "older than a version seen";
  EXPECT_TRUE(copy.Offer(Seats(kA, 6), 6, kLater, copy.epoch(), kNow))
      << "the version seen, now with its figure";
  EXPECT_EQ(ConfirmedOf(copy, kA), 6);
}

TEST(AvailabilityCopyTest, AFigureReadBeforeASuspensionIsRefused) {
  AvailabilityCopy copy;
  const uint64_t before = copy.epoch();
  copy.Suspend();
  copy.Resume();

  EXPECT_FALSE(copy.Offer(Seats(kA, 5), 5, kLater, before, kNow));
  EXPECT_EQ(ConfirmedOf(copy, kA), -1);
  EXPECT_TRUE(copy.Offer(Seats(kA, 5), 5, kLater, copy.epoch(), kNow));
}

TEST(AvailabilityCopyTest, ANewerVersionSeenButNotTakenHidesTheOlderFigure) {
  AvailabilityCopy copy;
  const uint64_t stale_epoch = copy.epoch();
  ASSERT_TRUE(copy.Offer(Seats(kA, 5), 5, kLater, copy.epoch(), kNow));
  copy.Suspend();
  copy.Resume();
  ASSERT_TRUE(copy.Offer(Seats(kA, 5), 5, kLater, copy.epoch(), kNow));

  EXPECT_FALSE(copy.Offer(Seats(kA, 7), 7, kLater, stale_epoch, kNow));

  EXPECT_EQ(ConfirmedOf(copy, kA), -1) << "version 5 is known to be old";
  EXPECT_EQ(copy.VersionSeen(kA, kNow), 7);
}

TEST(AvailabilityCopyTest, DropExpiredForgetsOnlyWhatExpired) {
  AvailabilityCopy copy;
  ASSERT_TRUE(copy.Offer(Seats(kA, 1), 1, kLater, copy.epoch(), kNow));
  ASSERT_TRUE(copy.Offer(Seats(kB, 2), 1, kLater + absl::Seconds(10),
                         copy.epoch(), kNow));

  copy.DropExpired(kLater);

  EXPECT_EQ(copy.VersionSeen(kA, kNow), 0);
  EXPECT_EQ(ConfirmedOf(copy, kB, kLater), 2);
}

// Writers offering ever newer versions while readers look: every reader
// sees each session's counts only go up.
TEST(AvailabilityCopyTest, ConcurrentReadersNeverSeeAVersionGoBack) {
  AvailabilityCopy copy;
  constexpr int kVersions = 2000;
  std::atomic<bool> done{false};
  std::atomic<int> went_back{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      // Each writer offers every version, in its own order of arrival.
      for (int v = 1 + w; v <= kVersions; v += 1) {
        copy.Offer(Seats(kA, v), v, kLater, copy.epoch(), kNow);
      }
    });
  }
  for (int r = 0; r < 4; ++r) {
    threads.emplace_back([&] {
      int highest = -1;
      while (!done.load()) {
        const int seen = ConfirmedOf(copy, kA);
        if (seen < highest) ++went_back;
        highest = std::max(highest, seen);
      }
    });
  }
  for (int w = 0; w < 4; ++w) threads[w].join();
  done = true;
  for (size_t t = 4; t < threads.size(); ++t) threads[t].join();

  EXPECT_EQ(went_back.load(), 0);
  EXPECT_EQ(ConfirmedOf(copy, kA), kVersions);
}

}  // namespace
}  // namespace training::booking

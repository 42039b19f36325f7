// Subscriptions: catch-up from a position, then live; bounded batches; a slow
// subscriber never holds the writer back.
#include <gtest/gtest.h>

#include <thread>

#include "spine/eventstore/event_store.h"
#include "spine/eventstore/subscription.h"
#include "support/test_support.h"

namespace spine::store {
namespace {

using namespace std::chrono_literals;
using testing::open_store;
using testing::request;
using testing::TempDir;

TEST(Subscription, CatchesUpFromAPositionThenFollowsLive) {
  TempDir dir;
  auto log = open_store(dir.str());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log->append(request("old" + std::to_string(i), "s")));
  auto subscription = log->subscribe(4);

  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(log->append(request("new" + std::to_string(i), "s", ExpectedVersion::any(), 1 + i % 3)));
    }
  });
  std::uint64_t expected = 4;
  std::uint64_t target = 10;  // the last position the writer will have written
  for (int i = 0; i < 200; ++i) target += 1 + i % 3;
  while (expected <= target) {
    auto batch = subscription->next(7, 2s);
    ASSERT_TRUE(batch) << batch.error().to_string();
    ASSERT_FALSE(batch->empty()) << "no records within 2s at position " << expected;
    EXPECT_LE(batch->size(), 7u);
    for (const auto& record : *batch) EXPECT_EQ(record.position(), expected++);
  }
  writer.join();
  EXPECT_EQ(subscription->next_position(), target + 1);
}

TEST(Subscription, ReturnsEmptyWhenNothingArrivesInTime) {
  TempDir dir;
  auto log = open_store(dir.str());
  ASSERT_TRUE(log->append(request("c", "s")));
  auto subscription = log->subscribe(2);
  const auto start = std::chrono::steady_clock::now();
  auto batch = subscription->next(10, 50ms);
  ASSERT_TRUE(batch);
  EXPECT_TRUE(batch->empty());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 45ms);
}

TEST(Subscription, WakesAsSoonAsACommitLands) {
  TempDir dir;
  auto log = open_store(dir.str());
  auto subscription = log->subscribe(1);
  std::thread writer([&] {
    std::this_thread::sleep_for(20ms);
    ASSERT_TRUE(log->append(request("c", "s")));
  });
  auto batch = subscription->next(10, 5s);
  writer.join();
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ((*batch)[0].position(), 1u);
}

TEST(Subscription, ASlowSubscriberNeverBlocksTheWriter) {
  TempDir dir;
  Options options;
  options.limits.max_read_batch_bytes = 64 * 1024;
  auto log = open_store(dir.str(), options);
  auto subscription = log->subscribe(1);  // never read while the writer runs
  for (int i = 0; i < 50; ++i) {
    auto r = request("c" + std::to_string(i), "s", ExpectedVersion::any(), 100);
    for (auto& e : r.events) e.payload.assign(1'000, 'x');
    ASSERT_TRUE(log->append(r));
  }
  EXPECT_EQ(log->head().position, 5'000u);
  // The subscriber's buffer is one batch, bounded by bytes, however far behind it is.
  auto batch = subscription->next(10'000, 0ms);
  ASSERT_TRUE(batch);
  std::size_t bytes = 0;
  for (std::size_t i = 0; i + 1 < batch->size(); ++i) bytes += (*batch)[i].bytes().size();
  EXPECT_LT(bytes, 64u * 1024u);
  EXPECT_LT(batch->size(), 100u);
  EXPECT_EQ(batch->front().position(), 1u);
}

}  // namespace
}  // namespace spine::store

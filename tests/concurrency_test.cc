// Many threads racing on the same streams with exact expected versions: each
// version is won exactly once, losers get the conflict, positions stay gapless.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

#include "spine/eventstore/event_store.h"
#include "support/test_support.h"

namespace spine::store {
namespace {

using testing::open_store;
using testing::request;
using testing::TempDir;

TEST(Concurrency, EachExpectedVersionIsWonExactlyOnce) {
  TempDir dir;
  auto log = open_store(dir.str());
  constexpr int kThreads = 16;
  constexpr int kAttemptsPerThread = 150;
  const std::vector<std::string> streams = {"stock-1", "stock-2", "stock-3"};

  std::mutex mutex;
  std::map<std::pair<std::string, std::uint64_t>, int> wins;  // (stream, version) -> winners
  std::atomic<int> conflicts{0}, other_errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAttemptsPerThread; ++i) {
        const std::string& stream = streams[static_cast<std::size_t>(i + t) % streams.size()];
        const std::uint64_t seen = *log->stream_version(stream);
        auto result = log->append(request("t" + std::to_string(t) + "-" + std::to_string(i), stream,
                                          ExpectedVersion::exact(seen), 1 + i % 2));
        if (result) {
          std::lock_guard lock(mutex);
          EXPECT_EQ(result->streams[0].first_version, seen + 1);
          for (auto v = result->streams[0].first_version; v <= result->streams[0].last_version; ++v) {
            ++wins[{stream, v}];
          }
        } else if (result.error().code == "wrong_expected_version") {
          EXPECT_NE(result.error().message.find("actual version"), std::string::npos);
          ++conflicts;
        } else {
          ++other_errors;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_GT(conflicts.load(), 0) << "the race should have produced losers";
  std::uint64_t written = 0;
  for (const auto& stream : streams) {
    const std::uint64_t head = *log->stream_version(stream);
    written += head;
    for (std::uint64_t v = 1; v <= head; ++v) EXPECT_EQ((wins[{stream, v}]), 1) << stream << " v" << v;
  }
  EXPECT_EQ(wins.size(), written);

  // Gapless, in order, and each stream's versions strictly follow the log order.
  auto all = log->read_all(1, 100'000);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), written);
  std::map<std::string, std::uint64_t> last_version;
  for (std::size_t i = 0; i < all->size(); ++i) {
    const auto& record = (*all)[i];
    EXPECT_EQ(record.position(), i + 1);
    EXPECT_EQ(record.stream_version(), ++last_version[std::string(record.stream_id())]);
    if (i > 0) {
      EXPECT_EQ(record.prev_hash(), (*all)[i - 1].hash());
    }
  }
}

TEST(Concurrency, ManyAppendersOnOwnStreamsAreGroupCommitted) {
  TempDir dir;
  auto log = open_store(dir.str());
  constexpr int kThreads = 32, kAppends = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        auto result = log->append(request("t" + std::to_string(t) + "-" + std::to_string(i), "s" + std::to_string(t),
                                          ExpectedVersion::exact(static_cast<std::uint64_t>(i))));
        ASSERT_TRUE(result) << result.error().to_string();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(log->head().position, std::uint64_t{kThreads * kAppends});
  const WriteStats stats = log->write_stats();
  EXPECT_EQ(stats.appends, std::uint64_t{kThreads * kAppends});
  EXPECT_LT(stats.groups, stats.appends) << "concurrent appends should share syncs";
}

}  // namespace
}  // namespace spine::store

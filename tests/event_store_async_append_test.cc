// EventStore::append_async: the same append without a blocked thread. Its
// callback is called exactly once, with what append() would return; refusals
// found before queueing come at once on the caller's thread, and a full queue
// is refused ("overloaded") instead of blocking.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "spine/eventstore/chain_verifier.h"
#include "spine/eventstore/event_store.h"
#include "support/faulty_file_system.h"
#include "support/test_support.h"

namespace spine::store {
namespace {

using testing::open_store;
using testing::request;
using testing::TempDir;

std::future<Result<AppendResult>> append_later(EventStore& log, AppendRequest r) {
  auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
  auto future = promise->get_future();
  log.append_async(std::move(r), [promise](Result<AppendResult> result) { promise->set_value(std::move(result)); });
  return future;
}

TEST(AsyncAppend, IsAnsweredOnceAfterTheSyncWithWhatAppendWouldReturn) {
  TempDir dir;
  auto log = open_store(dir.str());
  auto first = append_later(*log, request("c1", "s", ExpectedVersion::no_stream(), 3)).get();
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->first_position, 1u);
  EXPECT_EQ(first->last_position, 3u);
  EXPECT_EQ(log->head().position, 3u);  // visible once answered

  auto retry = log->append(request("c1", "s", ExpectedVersion::no_stream(), 3));
  ASSERT_TRUE(retry);
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->first_position, 1u);

  auto conflict = append_later(*log, request("c2", "s", ExpectedVersion::exact(1))).get();
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, "wrong_expected_version");
  EXPECT_NE(conflict.error().message.find("actual version 3"), std::string::npos) << conflict.error().message;
  EXPECT_EQ(log->head().position, 3u);
}

TEST(AsyncAppend, ABrokenLimitIsRefusedOnTheCallersThreadBeforeItReturns) {
  TempDir dir;
  auto log = open_store(dir.str());
  std::optional<Result<AppendResult>> answer;
  std::thread::id answered_on;
  int calls = 0;
  log->append_async(request("c1", ""), [&](Result<AppendResult> result) {
    ++calls;
    answered_on = std::this_thread::get_id();
    answer = std::move(result);
  });
  ASSERT_EQ(calls, 1);  // already answered
  EXPECT_EQ(answered_on, std::this_thread::get_id());
  ASSERT_FALSE(*answer);
  EXPECT_EQ(answer->error().code, "invalid_stream_id");
  EXPECT_EQ(answer->error().field, "expectations[0].stream_id");
  EXPECT_EQ(log->head().position, 0u);
  EXPECT_EQ(*log->find_command("c1"), std::nullopt);
}

TEST(AsyncAppend, AFullQueueIsRefusedAsOverloadedInsteadOfBlocking) {
  TempDir dir;
  auto faulty = std::make_shared<testing::FaultyFileSystem>();
  Options options;
  options.env = std::shared_ptr<rocksdb::Env>(rocksdb::NewCompositeEnv(faulty).release());
  options.limits.max_pending_appends = 2;
  auto log = open_store(dir.str(), options);
  ASSERT_TRUE(log->append(request("warm-up", "w")));

  faulty->hold_wal_syncs(true);
  auto syncing = append_later(*log, request("a", "s"));
  ASSERT_TRUE(faulty->wait_for_held_syncs(1));  // the writer holds "a" in its sync
  auto queued_b = append_later(*log, request("b", "s"));
  auto queued_c = append_later(*log, request("c", "s"));
  std::optional<Result<AppendResult>> refused;
  log->append_async(request("d", "s"), [&](Result<AppendResult> result) { refused = std::move(result); });
  ASSERT_TRUE(refused.has_value());  // answered at once: the queue holds b and c
  ASSERT_FALSE(*refused);
  EXPECT_EQ(refused->error().code, "overloaded");
  faulty->hold_wal_syncs(false);

  ASSERT_TRUE(syncing.get());
  ASSERT_TRUE(queued_b.get());
  ASSERT_TRUE(queued_c.get());
  EXPECT_EQ(log->head().position, 4u);
  EXPECT_EQ(*log->find_command("d"), std::nullopt);
}

// 64 appends in flight from one thread: each callback appends that chain's next
// event, so the writer always has the other chains' appends to group.
TEST(AsyncAppend, SixtyFourChainsFromOneThreadAreGroupCommittedGaplessly) {
  TempDir dir;
  auto log = open_store(dir.str());
  constexpr int kChains = 64, kPerChain = 25;
  std::mutex mutex;
  std::condition_variable finished;
  int chains_done = 0;
  std::atomic<int> failures{0};
  std::function<void(int, std::uint64_t)> next = [&](int chain, std::uint64_t version) {
    const std::string stream = "chain-" + std::to_string(chain);
    log->append_async(request(stream + "-" + std::to_string(version), stream,
                              version == 0 ? ExpectedVersion::no_stream() : ExpectedVersion::exact(version)),
                      [&, chain, version](Result<AppendResult> result) {
                        if (!result) ++failures;
                        if (result && version + 1 < kPerChain) return next(chain, version + 1);
                        std::lock_guard lock(mutex);
                        ++chains_done;
                        finished.notify_all();
                      });
  };
  for (int chain = 0; chain < kChains; ++chain) next(chain, 0);
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(finished.wait_for(lock, std::chrono::seconds(60), [&] { return chains_done == kChains; }));
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(log->head().position, std::uint64_t{kChains} * kPerChain);
  for (int chain = 0; chain < kChains; ++chain) {
    EXPECT_EQ(*log->stream_version("chain-" + std::to_string(chain)), std::uint64_t{kPerChain});
  }
  const WriteStats stats = log->write_stats();
  EXPECT_LT(stats.groups * 4, stats.appends) << "appends were not grouped: " << stats.groups << " groups";
  const std::string path = dir.str();
  log.reset();
  auto report = verify_store(path);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->head_position, std::uint64_t{kChains} * kPerChain);
}

}  // namespace
}  // namespace spine::store

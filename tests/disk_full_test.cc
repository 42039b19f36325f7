// A full disk (ENOSPC from the file system) refuses appends with "no_space",
// keeps the store readable and consistent, and appends work again once space
// returns, continuing the same gapless chain.
#include <gtest/gtest.h>

#include "spine/eventstore/chain_verifier.h"
#include "spine/eventstore/event_store.h"
#include "support/faulty_file_system.h"
#include "support/test_support.h"

namespace spine::store {
namespace {

using testing::open_store;
using testing::request;
using testing::TempDir;

TEST(DiskFull, RefusesAppendsStaysReadableAndRecovers) {
  TempDir dir;
  auto faulty = std::make_shared<testing::FaultyFileSystem>();
  Options options;
  options.env = std::shared_ptr<rocksdb::Env>(rocksdb::NewCompositeEnv(faulty).release());
  options.no_space_retry_interval = std::chrono::milliseconds(0);  // the first append after space returns resumes
  {
    auto log = open_store(dir.str(), options);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->append(request("before-" + std::to_string(i), "s")));
    const Head before = log->head();

    faulty->set_disk_full(true);
    for (int i = 0; i < 3; ++i) {
      auto refused = log->append(request("during-" + std::to_string(i), "s"));
      ASSERT_FALSE(refused);
      EXPECT_TRUE(refused.error().code == "no_space" || refused.error().code == "io_error")
          << refused.error().to_string();
      EXPECT_EQ(log->head().position, before.position);
    }
    // Still readable while the disk is full.
    auto records = log->read_all(1, 100);
    ASSERT_TRUE(records);
    EXPECT_EQ(records->size(), 5u);
    EXPECT_EQ(*log->stream_version("s"), 5u);

    faulty->set_disk_full(false);
    auto after = log->append(request("during-0", "s", ExpectedVersion::exact(5)));
    ASSERT_TRUE(after) << after.error().to_string();
    EXPECT_FALSE(after->deduplicated);  // the refused attempt left no trace
    EXPECT_EQ(after->first_position, 6u);
    EXPECT_EQ(log->read_at(6)->prev_hash(), before.hash);
  }
  auto report = verify_store(dir.str());
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->head_position, 6u);
  auto reopened = open_store(dir.str());
  EXPECT_EQ(reopened->head().position, 6u);
}

}  // namespace
}  // namespace spine::store

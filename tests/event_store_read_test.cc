// Reads: a stream forward and backward, the whole log, single positions,
// stream heads; and reopening keeps all of it.
#include <gtest/gtest.h>

#include "spine/eventstore/event_store.h"
#include "support/test_support.h"

namespace spine::store {
namespace {

using testing::event;
using testing::open_store;
using testing::request;
using testing::TempDir;

// Interleaves two streams: a gets versions 1..5, b gets 1..5, positions alternate.
void write_interleaved(EventStore& log) {
  for (int i = 0; i < 5; ++i) {
    AppendRequest r;
    r.command_id = "c" + std::to_string(i);
    r.actor = "tester";
    r.expectations = {{"a", ExpectedVersion::any()}, {"b", ExpectedVersion::any()}};
    r.events = {event("a", "A", "a" + std::to_string(i + 1)), event("b", "B", "b" + std::to_string(i + 1))};
    ASSERT_TRUE(log.append(r));
  }
}

std::vector<std::string> payloads(const std::vector<RecordView>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.emplace_back(r.payload());
  return out;
}

TEST(Read, StreamForwardFromAVersion) {
  TempDir dir;
  auto log = open_store(dir.str());
  write_interleaved(*log);
  auto records = log->read_stream("a", 2, Direction::kForward, 3);
  ASSERT_TRUE(records);
  EXPECT_EQ(payloads(*records), (std::vector<std::string>{"a2", "a3", "a4"}));
  EXPECT_EQ((*records)[0].stream_version(), 2u);
  EXPECT_EQ((*records)[0].position(), 3u);
  EXPECT_EQ(payloads(*log->read_stream("a", 1, Direction::kForward, 100)).size(), 5u);
  EXPECT_TRUE(log->read_stream("a", 6, Direction::kForward, 100)->empty());
}

TEST(Read, StreamBackwardFromAVersionOrTheHead) {
  TempDir dir;
  auto log = open_store(dir.str());
  write_interleaved(*log);
  EXPECT_EQ(payloads(*log->read_stream("b", 3, Direction::kBackward, 10)),
            (std::vector<std::string>{"b3", "b2", "b1"}));
  EXPECT_EQ(payloads(*log->read_stream("b", UINT64_MAX, Direction::kBackward, 2)),
            (std::vector<std::string>{"b5", "b4"}));
}

TEST(Read, StreamsWhoseIdsSharePrefixesStayApart) {
  TempDir dir;
  auto log = open_store(dir.str());
  ASSERT_TRUE(log->append(request("c1", "order-1")));
  ASSERT_TRUE(log->append(request("c2", "order-10", ExpectedVersion::any(), 2)));
  EXPECT_EQ(log->read_stream("order-1", 1, Direction::kForward, 10)->size(), 1u);
  EXPECT_EQ(log->read_stream("order-1", UINT64_MAX, Direction::kBackward, 10)->size(), 1u);
  EXPECT_EQ(log->read_stream("order-10", 1, Direction::kForward, 10)->size(), 2u);
  EXPECT_TRUE(log->read_stream("order", 1, Direction::kForward, 10)->empty());
}

TEST(Read, WholeLogForwardFromAPosition) {
  TempDir dir;
  auto log = open_store(dir.str());
  write_interleaved(*log);
  auto all = log->read_all(1, 100);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 10u);
  for (std::size_t i = 0; i < all->size(); ++i) EXPECT_EQ((*all)[i].position(), i + 1);
  EXPECT_EQ(payloads(*log->read_all(9, 100)), (std::vector<std::string>{"a5", "b5"}));
  EXPECT_EQ(log->read_all(4, 2)->size(), 2u);
  EXPECT_TRUE(log->read_all(11, 100)->empty());
  EXPECT_EQ(log->read_all(0, 1)->front().position(), 1u);  // 0 reads from the start
}

TEST(Read, ReadBatchesAreBoundedByTheLimits) {
  TempDir dir;
  Options options;
  options.limits.max_read_batch = 4;
  options.limits.max_read_batch_bytes = 1'000;
  auto log = open_store(dir.str(), options);
  ASSERT_TRUE(log->append(request("c", "s", ExpectedVersion::any(), 10)));
  EXPECT_EQ(log->read_all(1, 100)->size(), 4u);
  EXPECT_EQ(log->read_stream("s", 1, Direction::kForward, 100)->size(), 4u);
  auto big = request("big", "s");
  big.events[0].payload.assign(2'000, 'x');
  big.events.push_back(big.events[0]);
  ASSERT_TRUE(log->append(big));
  EXPECT_EQ(log->read_all(11, 100)->size(), 1u);  // one record already passes the byte bound
}

// The records of one read_all share one buffer: a record copied out of the
// batch stays whole after the batch is gone, however large its neighbours
// (payloads from empty to past the buffer's block size).
TEST(Read, ARecordKeptFromABatchOutlivesTheBatch) {
  TempDir dir;
  auto log = open_store(dir.str());
  const std::vector<std::size_t> sizes = {0, 1, 17, 4'000, 70'000, 200'000, 3, 131'072, 9};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    auto r = request("c" + std::to_string(i), "s", ExpectedVersion::any());
    r.events[0].payload.assign(sizes[i], static_cast<char>('a' + i));
    ASSERT_TRUE(log->append(r));
  }
  std::vector<RecordView> kept;
  {
    auto batch = log->read_all(1, 100);
    ASSERT_TRUE(batch);
    ASSERT_EQ(batch->size(), sizes.size());
    for (const RecordView& record : *batch) {
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(record.bytes().data()) % 8, 0u) << record.position();
    }
    kept = {(*batch)[5], (*batch)[8]};
  }
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].position(), 6u);
  EXPECT_EQ(kept[0].payload(), std::string(200'000, 'f'));
  EXPECT_EQ(kept[1].position(), 9u);
  EXPECT_EQ(kept[1].payload(), std::string(9, 'i'));
  EXPECT_EQ(kept[1].compute_hash(), kept[1].hash());
  EXPECT_EQ(kept[1].hash(), log->read_at(9)->hash());
}

TEST(Read, SinglePositionAndNotFound) {
  TempDir dir;
  auto log = open_store(dir.str());
  write_interleaved(*log);
  EXPECT_EQ(log->read_at(4)->payload(), "b2");
  auto missing = log->read_at(11);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "not_found");
}

TEST(Read, StreamHeadsInOrderAndPaged) {
  TempDir dir;
  auto log = open_store(dir.str());
  for (const char* stream : {"c", "a", "b"}) ASSERT_TRUE(log->append(request(std::string("cmd-") + stream, stream)));
  ASSERT_TRUE(log->append(request("cmd-a2", "a")));
  auto first_page = log->stream_heads("", 2);
  ASSERT_TRUE(first_page);
  ASSERT_EQ(first_page->size(), 2u);
  EXPECT_EQ((*first_page)[0].stream_id, "a");
  EXPECT_EQ((*first_page)[0].version, 2u);
  EXPECT_EQ((*first_page)[1].stream_id, "b");
  auto second_page = log->stream_heads("b", 2);
  ASSERT_EQ(second_page->size(), 1u);
  EXPECT_EQ((*second_page)[0].stream_id, "c");
  EXPECT_EQ(*log->stream_version("nope"), 0u);
}

TEST(Read, ReopenKeepsEverythingAndContinuesTheChain) {
  TempDir dir;
  Head head;
  {
    auto log = open_store(dir.str());
    write_interleaved(*log);
    head = log->head();
  }
  auto log = open_store(dir.str());
  EXPECT_EQ(log->head().position, head.position);
  EXPECT_EQ(log->head().hash, head.hash);
  auto next = log->append(request("after", "a", ExpectedVersion::exact(5)));
  ASSERT_TRUE(next) << next.error().to_string();
  EXPECT_EQ(next->first_position, 11u);
  EXPECT_EQ(log->read_at(11)->prev_hash(), head.hash);
}

TEST(Read, ReadOnlyStoreReadsAndRefusesAppends) {
  TempDir dir;
  {
    auto log = open_store(dir.str());
    write_interleaved(*log);
  }
  auto opened = EventStore::open_read_only(dir.str());
  ASSERT_TRUE(opened) << opened.error().to_string();
  EXPECT_EQ((*opened)->read_all(1, 100)->size(), 10u);
  auto refused = (*opened)->append(request("x", "a"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "read_only");
}

TEST(ForEachRecord, VisitsARangeInOrderAcrossBatchesAndStopsAtTheVisitorsError) {
  TempDir dir;
  Options options;
  options.limits.max_read_batch = 3;  // force several batches
  auto log = open_store(dir.str(), options);
  write_interleaved(*log);  // positions 1..10
  std::vector<std::uint64_t> seen;
  auto collect = [&](const RecordView& r) -> Status {
    seen.push_back(r.position());
    return ok_status();
  };
  ASSERT_TRUE(for_each_record(*log, 1, 0, collect).ok());
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  seen.clear();
  ASSERT_TRUE(for_each_record(*log, 4, 8, collect).ok());
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{4, 5, 6, 7, 8}));
  seen.clear();
  ASSERT_TRUE(for_each_record(*log, 11, 0, collect).ok());
  EXPECT_TRUE(seen.empty());
  seen.clear();
  auto stopped = for_each_record(*log, 1, 0, [&](const RecordView& r) -> Status {
    seen.push_back(r.position());
    if (r.position() == 5) return Error{"enough", "", "stop here"};
    return ok_status();
  });
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().code, "enough");
  EXPECT_EQ(seen.back(), 5u);
}

}  // namespace
}  // namespace spine::store

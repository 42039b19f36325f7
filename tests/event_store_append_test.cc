// Appends: positions, versions, expected versions, atomic multi-stream writes,
// idempotency by command id, and the envelope's fields.
#include <gtest/gtest.h>

#include "spine/eventstore/event_store.h"
#include "support/test_support.h"

namespace spine::store {
namespace {

using testing::event;
using testing::open_store;
using testing::request;
using testing::TempDir;

TEST(Append, AssignsGaplessPositionsAndStreamVersionsFromOne) {
  TempDir dir;
  auto log = open_store(dir.str());
  auto first = log->append(request("c1", "order-1", ExpectedVersion::no_stream(), 2));
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->first_position, 1u);
  EXPECT_EQ(first->last_position, 2u);
  ASSERT_EQ(first->streams.size(), 1u);
  EXPECT_EQ(first->streams[0].first_version, 1u);
  EXPECT_EQ(first->streams[0].last_version, 2u);
  EXPECT_FALSE(first->deduplicated);

  auto second = log->append(request("c2", "order-2"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->first_position, 3u);
  EXPECT_EQ(second->streams[0].first_version, 1u);
  EXPECT_EQ(log->head().position, 3u);
}

TEST(Append, OneCommandWritesSeveralStreamsAtomically) {
  TempDir dir;
  auto log = open_store(dir.str());
  ASSERT_TRUE(log->append(request("seed", "stock-A")));
  AppendRequest order;
  order.command_id = "place-1";
  order.actor = "alice";
  order.expectations = {{"order-9", ExpectedVersion::no_stream()}, {"stock-A", ExpectedVersion::exact(1)},
                        {"stock-B", ExpectedVersion::no_stream()}};
  order.events = {event("order-9", "OrderPlaced"), event("stock-A", "StockReserved"),
                  event("stock-B", "StockReserved"), event("order-9", "OrderRouted")};
  auto result = log->append(order);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result->first_position, 2u);
  EXPECT_EQ(result->last_position, 5u);
  ASSERT_EQ(result->streams.size(), 3u);
  EXPECT_EQ(result->streams[0].stream_id, "order-9");
  EXPECT_EQ(result->streams[0].first_version, 1u);
  EXPECT_EQ(result->streams[0].last_version, 2u);
  EXPECT_EQ(result->streams[1].stream_id, "stock-A");
  EXPECT_EQ(result->streams[1].first_version, 2u);
  EXPECT_EQ(*log->stream_version("order-9"), 2u);
  EXPECT_EQ(*log->stream_version("stock-A"), 2u);
  EXPECT_EQ(*log->stream_version("stock-B"), 1u);

  // One stale expectation refuses the whole command: no stream moves.
  order.command_id = "place-2";
  order.expectations[1].expected = ExpectedVersion::exact(1);  // stock-A is at 2 now
  order.expectations[0].expected = ExpectedVersion::any();
  order.expectations[2].expected = ExpectedVersion::any();
  auto refused = log->append(order);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "wrong_expected_version");
  EXPECT_EQ(log->head().position, 5u);
  EXPECT_EQ(*log->stream_version("order-9"), 2u);
  EXPECT_EQ(*log->stream_version("stock-B"), 1u);
}

TEST(Append, WrongExpectedVersionReportsTheActualVersionAndWritesNothing) {
  TempDir dir;
  auto log = open_store(dir.str());
  ASSERT_TRUE(log->append(request("c1", "s", ExpectedVersion::any(), 3)));
  const Head before = log->head();

  auto exact = log->append(request("c2", "s", ExpectedVersion::exact(2)));
  ASSERT_FALSE(exact);
  EXPECT_EQ(exact.error().code, "wrong_expected_version");
  EXPECT_EQ(exact.error().field, "expectations[0]");
  EXPECT_NE(exact.error().message.find("actual version 3"), std::string::npos) << exact.error().message;

  auto no_stream = log->append(request("c3", "s", ExpectedVersion::no_stream()));
  ASSERT_FALSE(no_stream);
  EXPECT_NE(no_stream.error().message.find("actual version 3"), std::string::npos);

  auto exact_on_missing = log->append(request("c4", "missing", ExpectedVersion::exact(1)));
  ASSERT_FALSE(exact_on_missing);
  EXPECT_NE(exact_on_missing.error().message.find("actual version 0"), std::string::npos);

  EXPECT_EQ(log->head().position, before.position);
  EXPECT_EQ(log->head().hash, before.hash);
  EXPECT_TRUE(log->append(request("c5", "s", ExpectedVersion::exact(3))));
}

TEST(Append, ARefusedCommandIdCanBeRetriedOnceItsProblemIsFixed) {
  TempDir dir;
  auto log = open_store(dir.str());
  ASSERT_TRUE(log->append(request("c1", "s")));
  ASSERT_FALSE(log->append(request("retry-me", "s", ExpectedVersion::no_stream())));
  auto fixed = log->append(request("retry-me", "s", ExpectedVersion::exact(1)));
  ASSERT_TRUE(fixed);
  EXPECT_FALSE(fixed->deduplicated);
}

TEST(Append, AnExpectationWithoutEventsGuardsTheCommand) {
  TempDir dir;
  auto log = open_store(dir.str());
  ASSERT_TRUE(log->append(request("c1", "price-list")));
  AppendRequest guarded = request("c2", "order-1");
  guarded.expectations.push_back({"price-list", ExpectedVersion::exact(7)});
  auto refused = log->append(guarded);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "expectations[1]");
  guarded.expectations[1].expected = ExpectedVersion::exact(1);
  auto accepted = log->append(guarded);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->streams.size(), 1u);  // price-list is read, not written
  EXPECT_EQ(*log->stream_version("price-list"), 1u);
}

TEST(Append, RetriedCommandIdReturnsTheFirstResultAndWritesNothing) {
  TempDir dir;
  auto log = open_store(dir.str());
  auto first = log->append(request("cmd-42", "order-1", ExpectedVersion::no_stream(), 2));
  ASSERT_TRUE(first);
  ASSERT_TRUE(log->append(request("other", "order-2")));
  const Head before = log->head();

  // Same id, even with an expectation that would now fail: the first result.
  auto retry = log->append(request("cmd-42", "order-1", ExpectedVersion::no_stream(), 2));
  ASSERT_TRUE(retry) << retry.error().to_string();
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->first_position, first->first_position);
  EXPECT_EQ(retry->last_position, first->last_position);
  ASSERT_EQ(retry->streams.size(), 1u);
  EXPECT_EQ(retry->streams[0].last_version, 2u);
  EXPECT_EQ(log->head().position, before.position);
  EXPECT_EQ(*log->stream_version("order-1"), 2u);
}

TEST(Append, CommandIdsSurviveReopen) {
  TempDir dir;
  AppendResult first;
  {
    auto log = open_store(dir.str());
    first = *log->append(request("cmd-1", "s"));
  }
  auto log = open_store(dir.str());
  auto retry = log->append(request("cmd-1", "s"));
  ASSERT_TRUE(retry);
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->first_position, first.first_position);
  EXPECT_EQ(log->head().position, 1u);
}

TEST(Append, ConcurrentRetriesOfOneCommandWriteItOnce) {
  TempDir dir;
  auto log = open_store(dir.str());
  std::vector<std::thread> threads;
  std::vector<Result<AppendResult>> results(16, Error{});
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] { results[static_cast<std::size_t>(t)] = log->append(request("same", "s", ExpectedVersion::any(), 3)); });
  }
  for (auto& thread : threads) thread.join();
  int fresh = 0;
  for (auto& result : results) {
    ASSERT_TRUE(result) << result.error().to_string();
    EXPECT_EQ(result->first_position, 1u);
    EXPECT_EQ(result->last_position, 3u);
    fresh += result->deduplicated ? 0 : 1;
  }
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(log->head().position, 3u);
}

TEST(Append, RecordCarriesEveryEnvelopeField) {
  TempDir dir;
  auto log = open_store(dir.str());
  AppendRequest r;
  r.command_id = "cmd-7";
  r.actor = "employee-3";
  r.expectations = {{"sku-1", ExpectedVersion::any()}};
  NewEvent e = event("sku-1", "PriceChanged", std::string("\x00\x01binary", 8));
  e.schema_version = 3;
  e.occurred_at_us = 1'700'000'000'000'000;
  e.causation_id = "cause-1";
  e.event_id = EventId{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  r.events = {e, event("sku-1", "Other")};
  const auto before = std::chrono::system_clock::now();
  ASSERT_TRUE(log->append(r));

  auto records = log->read_all(1, 10);
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 2u);
  const RecordView& first = (*records)[0];
  EXPECT_EQ(first.position(), 1u);
  EXPECT_EQ(first.stream_id(), "sku-1");
  EXPECT_EQ(first.stream_version(), 1u);
  EXPECT_EQ(first.event_type(), "PriceChanged");
  EXPECT_EQ(first.event_id(), e.event_id);
  EXPECT_EQ(first.command_id(), "cmd-7");
  EXPECT_EQ(first.causation_id(), "cause-1");
  EXPECT_EQ(first.actor(), "employee-3");
  EXPECT_EQ(first.occurred_at_us(), 1'700'000'000'000'000);
  EXPECT_EQ(first.schema_version(), 3u);
  EXPECT_EQ(first.payload(), std::string("\x00\x01binary", 8));
  EXPECT_EQ(first.prev_hash(), Digest{});
  EXPECT_EQ(first.compute_hash(), first.hash());
  const auto recorded = std::chrono::system_clock::time_point(std::chrono::microseconds(first.recorded_at_us()));
  EXPECT_GE(recorded + std::chrono::milliseconds(1), before);

  const RecordView& second = (*records)[1];
  EXPECT_EQ(second.prev_hash(), first.hash());
  EXPECT_EQ(second.occurred_at_us(), second.recorded_at_us());  // defaulted
  EXPECT_NE(second.event_id(), EventId{});                      // generated
  EXPECT_EQ((second.event_id()[6] & 0xf0), 0x40);               // UUID v4
  EXPECT_EQ(log->head().hash, second.hash());
}

TEST(Append, RecordedAtNeverGoesBackwards) {
  TempDir dir;
  auto log = open_store(dir.str());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(log->append(request("c" + std::to_string(i), "s")));
  auto records = log->read_all(1, 100);
  ASSERT_TRUE(records);
  for (std::size_t i = 1; i < records->size(); ++i) {
    EXPECT_GE((*records)[i].recorded_at_us(), (*records)[i - 1].recorded_at_us());
  }
}

}  // namespace
}  // namespace spine::store

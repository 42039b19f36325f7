// The command handler against a real store: events appended atomically with
// the actor, refusals append nothing, idempotency by command id, retries on a
// version conflict, and no oversell under concurrency.
#include <gtest/gtest.h>

#include <thread>

#include "spine/commands/command_handler.h"
#include "support/shop.h"
#include "support/test_support.h"

namespace spine::testing {
namespace {

using commands::CommandEnvelope;
using commands::CommandHandler;

template <typename T>
CommandEnvelope envelope(const std::string& command_id, T command, const std::string& actor = "emp-7") {
  CommandEnvelope c;
  c.command_id = command_id;
  c.actor = actor;
  c.body = wrap(std::move(command));
  c.occurred_at_us = kNow;
  return c;
}

class CommandHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = open_store(dir.str());
    handler = std::make_unique<CommandHandler>(*store, domain::default_config());
    for (CommandEnvelope& c : commands::configured_registrations(handler->config())) {
      ASSERT_TRUE(handler->handle(c).ok());
    }
    ASSERT_TRUE(handler->handle(envelope("list-p1", list_product("p1", {"A", "B"}, {10000, 10000}))).ok());
    ASSERT_TRUE(handler->handle(envelope("stock-A", receive_stock("A", "wh-shanghai", 10))).ok());
  }
  TempDir dir;
  std::unique_ptr<store::EventStore> store;
  std::unique_ptr<CommandHandler> handler;
};

TEST_F(CommandHandlerTest, AnAcceptedCommandAppendsItsEventsAtomicallyWithTheActor) {
  auto outcome = handler->handle(envelope("order-1", place_order("o1", "east", {{"A", 2, 10000}}), "cs-42"));
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_EQ(outcome->event_types, (std::vector<std::string>{"OrderPlaced", "StockReserved"}));
  ASSERT_EQ(outcome->append.streams.size(), 2u);
  auto records = store->read_all(outcome->append.first_position, 10);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  for (const store::RecordView& r : *records) {
    EXPECT_EQ(r.actor(), "cs-42");
    EXPECT_EQ(r.command_id(), "order-1");
    EXPECT_EQ(r.occurred_at_us(), kNow);
    EXPECT_TRUE(domain::decode_event(r.payload(), r.event_type()).ok());
  }
  EXPECT_EQ((*records)[0].stream_id(), "order-o1");
  EXPECT_EQ((*records)[1].stream_id(), "stock-A");
}

TEST_F(CommandHandlerTest, ARefusalAppendsNothing) {
  const std::uint64_t head = store->head().position;
  auto refused = handler->handle(envelope("order-1", place_order("o1", "east", {{"A", 11, 10000}})));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "insufficient_stock");
  EXPECT_EQ(store->head().position, head);
  // The same command id may be used again once the problem is fixed.
  EXPECT_TRUE(handler->handle(envelope("order-1", place_order("o1", "east", {{"A", 10, 10000}}))).ok());
}

TEST_F(CommandHandlerTest, ARetriedCommandIdReturnsTheFirstResultAndAppendsNothing) {
  auto first = handler->handle(envelope("order-1", place_order("o1", "east", {{"A", 2, 10000}})));
  ASSERT_TRUE(first.ok());
  const std::uint64_t head = store->head().position;
  // Deciding again would refuse (the order exists): the first result wins.
  auto retry = handler->handle(envelope("order-1", place_order("o1", "east", {{"A", 2, 10000}})));
  ASSERT_TRUE(retry.ok()) << retry.error().to_string();
  EXPECT_TRUE(retry->append.deduplicated);
  EXPECT_EQ(retry->append.first_position, first->append.first_position);
  EXPECT_EQ(retry->append.last_position, first->append.last_position);
  EXPECT_EQ(store->head().position, head);
  EXPECT_EQ(handler->stats().deduplicated, 1u);
}

TEST_F(CommandHandlerTest, EventIdsAreDerivedFromTheCommandId) {
  auto outcome = handler->handle(envelope("order-1", place_order("o1", "east", {{"A", 1, 10000}})));
  ASSERT_TRUE(outcome.ok());
  auto a = store->read_at(outcome->append.first_position);
  auto b = store->read_at(outcome->append.last_position);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->event_id(), b->event_id());
  // A second store given the same commands yields the same event ids.
  TempDir other_dir;
  auto other = open_store(other_dir.str());
  CommandHandler other_handler(*other, domain::default_config());
  for (CommandEnvelope& c : commands::configured_registrations(other_handler.config())) ASSERT_TRUE(other_handler.handle(c).ok());
  ASSERT_TRUE(other_handler.handle(envelope("list-p1", list_product("p1", {"A", "B"}, {10000, 10000}))).ok());
  ASSERT_TRUE(other_handler.handle(envelope("stock-A", receive_stock("A", "wh-shanghai", 10))).ok());
  auto again = other_handler.handle(envelope("order-1", place_order("o1", "east", {{"A", 1, 10000}})));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(other->read_at(again->append.first_position)->event_id(), a->event_id());
}

TEST_F(CommandHandlerTest, ACallersExpectedVersionIsCheckedAndNotRetried) {
  CommandEnvelope c = envelope("order-1", place_order("o1", "east", {{"A", 1, 10000}}));
  c.expectations.push_back({"stock-A", store::ExpectedVersion::exact(1)});  // it is at 2
  const std::uint64_t head = store->head().position;
  auto refused = handler->handle(c);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "wrong_expected_version");
  EXPECT_EQ(refused.error().field, "expectations[0]");
  EXPECT_NE(refused.error().message.find("at version 2"), std::string::npos);
  EXPECT_EQ(store->head().position, head);
  c.expectations[0].expected = store::ExpectedVersion::exact(2);
  EXPECT_TRUE(handler->handle(c).ok());
}

TEST_F(CommandHandlerTest, AStaleCacheIsCaughtUpAfterAConflictAndTheCommandRetried) {
  // A second handler on the same store has its own cache: it learns of
  // the first handler's writes only through the version conflict.
  CommandHandler other(*store, domain::default_config());
  ASSERT_TRUE(other.handle(envelope("order-1", place_order("o1", "east", {{"A", 3, 10000}}))).ok());
  ASSERT_TRUE(handler->handle(envelope("order-2", place_order("o2", "east", {{"A", 3, 10000}}))).ok());
  auto outcome = other.handle(envelope("order-3", place_order("o3", "east", {{"A", 3, 10000}})));
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_EQ(outcome->attempts, 2);
  EXPECT_EQ(other.stats().conflicts, 1u);
  // Now 9 of 10 are reserved: the stale view would have allowed 3 more.
  auto refused = other.handle(envelope("order-4", place_order("o4", "east", {{"A", 3, 10000}})));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "insufficient_stock");
  ASSERT_EQ(refused.error().details.size(), 1u);
  EXPECT_EQ(refused.error().details[0].available, 1);
}

TEST_F(CommandHandlerTest, ANewHandlerLoadsStateFromTheLog) {
  ASSERT_TRUE(handler->handle(envelope("order-1", place_order("o1", "east", {{"A", 4, 10000}}))).ok());
  handler.reset();
  store.reset();
  store = open_store(dir.str());
  CommandHandler fresh(*store, domain::default_config());
  auto state = fresh.current_state("stock-A");
  ASSERT_TRUE(state.ok());
  const auto& stock = std::get<domain::StockState>(state->state);
  EXPECT_EQ(stock.on_hand(), 10);
  EXPECT_EQ(stock.reserved(), 4);
  auto refused = fresh.handle(envelope("order-2", place_order("o2", "east", {{"A", 7, 10000}})));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "insufficient_stock");
}

TEST_F(CommandHandlerTest, ConfiguredRegistrationsAreIdempotent) {
  const std::uint64_t head = store->head().position;
  for (CommandEnvelope& c : commands::configured_registrations(handler->config())) {
    auto again = handler->handle(c);
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->append.deduplicated);
  }
  EXPECT_EQ(store->head().position, head);
}

TEST_F(CommandHandlerTest, MissingCommandIdOrActorIsRefused) {
  auto no_id = envelope("", place_order("o1", "east", {{"A", 1, 100}}));
  EXPECT_EQ(handler->handle(no_id).error().code, "invalid_command_id");
  auto no_actor = envelope("c1", place_order("o1", "east", {{"A", 1, 100}}), "");
  EXPECT_EQ(handler->handle(no_actor).error().code, "invalid_actor");
  CommandEnvelope empty;
  empty.command_id = "c2";
  empty.actor = "emp";
  EXPECT_EQ(handler->handle(empty).error().code, "unknown_command");
}

// Many threads order the same scarce SKU: exactly the stock is sold.
TEST(CommandHandlerConcurrency, ConcurrentOrdersOnAScarceSkuSellExactlyTheAvailableQuantity) {
  TempDir dir;
  auto store = open_store(dir.str());
  CommandHandler handler(*store, domain::default_config());
  for (CommandEnvelope& c : commands::configured_registrations(handler.config())) ASSERT_TRUE(handler.handle(c).ok());
  ASSERT_TRUE(handler.handle(envelope("list", list_product("p1", {"A"}, {10000}))).ok());
  ASSERT_TRUE(handler.handle(envelope("stock-1", receive_stock("A", "wh-shanghai", 60))).ok());
  ASSERT_TRUE(handler.handle(envelope("stock-2", receive_stock("A", "wh-beijing", 40))).ok());

  constexpr int kThreads = 16;
  std::atomic<std::int64_t> sold{0};
  std::atomic<int> oversell_refusals{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0;; ++n) {
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(n);
        const int quantity = 1 + (t + n) % 3;
        auto outcome = handler.handle(envelope(id, place_order(id, t % 2 ? "east" : "north", {{"A", quantity, 10000}})));
        if (outcome.ok()) {
          sold += quantity;
          continue;
        }
        if (outcome.error().code == "wrong_expected_version") continue;  // gave up under contention: try again
        ASSERT_EQ(outcome.error().code, "insufficient_stock") << outcome.error().to_string();
        ++oversell_refusals;
        if (outcome.error().details.at(0).available == 0) return;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(sold.load(), 100);
  EXPECT_GE(oversell_refusals.load(), kThreads);
  // The log agrees: folded from scratch, every unit is reserved and none is available.
  auto folded = commands::fold_stream(*store, "stock-A", {});
  ASSERT_TRUE(folded.ok());
  const auto& stock = std::get<domain::StockState>(folded->state);
  EXPECT_EQ(stock.reserved(), 100);
  EXPECT_EQ(stock.available(), 0);
  for (const auto& [warehouse, w] : stock.warehouses) EXPECT_GE(w.available(), 0) << warehouse;
}

}  // namespace
}  // namespace spine::testing

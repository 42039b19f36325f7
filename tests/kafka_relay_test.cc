// The relay against librdkafka's mock cluster, read back by a plain
// consumer: every event exactly once and in stream order, through a broker
// going down, request errors and dropped connections, a full outage, and a
// restart. (The crash test with kill -9 is kafka_relay_crash_test.cc.)
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <set>

#include <thread>

#include "spine/kafka/embedded_cluster.h"
#include "spine/kafka/relay.h"
#include "support/kafka_support.h"
#include "support/test_support.h"

namespace spine::testing {
namespace {

using namespace std::chrono_literals;

// Appends `count` one-event commands over order, stock and product streams,
// so that the events spread over several topics and partitions.
void append_shop_like(store::EventStore& log, int count, int offset = 0) {
  static const char* kTypes[][2] = {{"order-", "OrderPlaced"}, {"stock-", "StockReserved"},
                                    {"product-", "PriceChanged"}, {"order-", "ReturnRequested"},
                                    {"marketing-", "SpendRecorded"}};
  for (int i = offset; i < offset + count; ++i) {
    const auto& kind = kTypes[i % 5];
    const std::string stream = std::string(kind[0]) + std::to_string(i % 37);
    store::AppendRequest request;
    request.command_id = "cmd-" + std::to_string(i);
    request.actor = "test";
    request.expectations.push_back({stream, store::ExpectedVersion::any()});
    request.events.push_back(event(stream, kind[1], "payload-" + std::to_string(i)));
    auto appended = log.append(std::move(request));
    ASSERT_TRUE(appended.ok()) << appended.error().to_string();
  }
}

class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = kafka::EmbeddedCluster::start(3);
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    cluster = std::move(*started);
    ASSERT_TRUE(cluster->create_topics(naming.all(), 4, 3).ok());
    store::Options options;
    options.sync = false;  // durability of the log is not under test here
    log = open_store(dir.str(), options);
  }
  kafka::RelayOptions relay_options() {
    kafka::RelayOptions options;
    cluster->connect(options);
    options.naming = naming;
    options.status_interval = 200ms;
    options.backoff_min = 50ms;
    options.backoff_max = 500ms;
    options.log = [this](const std::string& line) { log_lines.push_back(line); };
    return options;
  }
  std::vector<ConsumedMessage> read_back() { return consume_all(cluster->bootstrap(), naming.all(), log->head().position); }

  TempDir dir;
  kafka::TopicNaming naming;
  std::unique_ptr<kafka::EmbeddedCluster> cluster;
  std::unique_ptr<store::EventStore> log;
  std::vector<std::string> log_lines;  // written by the relay thread; read after stop
};

TEST_F(RelayTest, EveryEventIsPublishedOnceInStreamOrderWithItsHeaders) {
  append_shop_like(*log, 1500);  // caught up from the log ...
  kafka::Relay relay(*log, relay_options());
  relay.start();
  append_shop_like(*log, 1500, 1500);  // ... then live
  ASSERT_TRUE(relay.wait_published(log->head().position, 60s));
  EXPECT_EQ(relay.status().lag(), 0u);
  relay.stop();
  auto messages = read_back();
  expect_exactly_once_in_order(messages, *log);
  std::set<std::string> topics;
  for (const ConsumedMessage& m : messages) topics.insert(m.topic);
  EXPECT_EQ(topics, (std::set<std::string>{"spine.orders", "spine.inventory", "spine.catalog", "spine.returns",
                                           "spine.finance"}));
  for (const ConsumedMessage& m : messages) {
    EXPECT_EQ(m.partition, kafka::partition_for(m.key, 4)) << "not the Java client's murmur2 partition";
  }
  EXPECT_EQ(relay.status().published_total, 3000u);
}

// librdkafka's idempotent producer can, rarely, write a batch twice while a
// partition's leader moves (librdkafka #4953, open; docs/consumers.md): about
// one run in ten here. This scenario moves leaders on purpose. So when, and
// only when, a run published some positions twice and lost none, the whole
// scenario runs once more on a fresh cluster and store, and that run must be
// exact: the upstream race does not strike twice in a row at that rate, while
// a duplicate of the relay's own making (a wrong resume point, a replay of
// acknowledged work) would repeat. Loss or disorder fails at once.
TEST_F(RelayTest, ABrokerGoingDownMidStreamDelaysButLosesAndDuplicatesNothing) {
  for (int attempt = 1;; ++attempt) {
    kafka::Relay relay(*log, relay_options());
    relay.start();
    std::thread writer([&] { append_shop_like(*log, 4000); });
    std::this_thread::sleep_for(100ms);
    cluster->set_broker_down(2, true);
    std::this_thread::sleep_for(1500ms);
    cluster->set_broker_down(2, false);
    writer.join();
    ASSERT_TRUE(relay.wait_published(log->head().position, 90s)) << relay.status().last_error;
    relay.stop();
    const std::vector<ConsumedMessage> messages = read_back();
    std::set<std::uint64_t> distinct;
    for (const ConsumedMessage& m : messages) distinct.insert(m.position);
    const bool only_duplicated = messages.size() > distinct.size() && distinct.size() == log->head().position;
    if (attempt == 1 && only_duplicated) {
      std::cerr << "note: " << messages.size() - distinct.size()
                << " messages written twice during the leader change (librdkafka #4953); running again\n";
      log.reset();
      cluster.reset();
      std::filesystem::remove_all(dir.str());
      log_lines.clear();
      SetUp();  // a fresh cluster and an empty store
      continue;
    }
    expect_exactly_once_in_order(messages, *log);
    return;
  }
}

TEST_F(RelayTest, RequestErrorsAndDroppedConnectionsAreRetriedWithoutDuplicates) {
  append_shop_like(*log, 500);
  // Produce requests failing: dropped connections, then retriable broker errors.
  cluster->push_request_errors(0, 6, RD_KAFKA_RESP_ERR__TRANSPORT);
  cluster->push_request_errors(0, 4, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  cluster->push_request_errors(0, 4, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  cluster->push_request_errors(0, 4, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
  kafka::Relay relay(*log, relay_options());
  relay.start();
  append_shop_like(*log, 2500, 500);
  ASSERT_TRUE(relay.wait_published(log->head().position, 90s)) << relay.status().last_error;
  relay.stop();
  expect_exactly_once_in_order(read_back(), *log);
}

TEST_F(RelayTest, DuringAFullOutageAppendsGoOnTheLagIsReportedAndTheRelayCatchesUp) {
  kafka::Relay relay(*log, relay_options());
  relay.start();
  append_shop_like(*log, 200);
  ASSERT_TRUE(relay.wait_published(200, 30s));
  for (int broker = 1; broker <= 3; ++broker) cluster->set_broker_down(broker, true);
  append_shop_like(*log, 1000, 200);  // the log does not wait for Kafka
  std::this_thread::sleep_for(1500ms);
  const kafka::RelayStatus during = relay.status();
  EXPECT_EQ(during.head_position, 1200u);
  EXPECT_GE(during.lag(), 900u) << "published " << during.published_position;
  for (int broker = 1; broker <= 3; ++broker) cluster->set_broker_down(broker, false);
  ASSERT_TRUE(relay.wait_published(1200, 90s)) << relay.status().last_error;
  relay.stop();
  expect_exactly_once_in_order(read_back(), *log);
  bool lag_logged = false;
  for (const std::string& line : log_lines) lag_logged = lag_logged || line.find("(lag ") != std::string::npos;
  EXPECT_TRUE(lag_logged);
}

TEST_F(RelayTest, ARestartedRelaySkipsWhatThePartitionsAlreadyHold) {
  append_shop_like(*log, 1000);
  {
    kafka::Relay first(*log, relay_options());
    first.start();
    ASSERT_TRUE(first.wait_published(1000, 60s));
    first.stop();
  }
  append_shop_like(*log, 500, 1000);
  kafka::Relay second(*log, relay_options());  // no checkpoint: it must learn from Kafka itself
  second.start();
  ASSERT_TRUE(second.wait_published(1500, 60s));
  second.stop();
  EXPECT_EQ(second.status().published_total, 500u);
  EXPECT_GE(second.status().skipped_total, 1000u - 37u * 2);  // at most the tail per partition is re-read
  expect_exactly_once_in_order(read_back(), *log);
}

TEST_F(RelayTest, ACheckpointLetsARestartBeginAfterIt) {
  append_shop_like(*log, 800);
  kafka::RelayOptions options = relay_options();
  options.checkpoint_path = (dir.path() / "relay.checkpoint").string();
  {
    kafka::Relay first(*log, options);
    first.start();
    ASSERT_TRUE(first.wait_published(800, 60s));
    first.stop();
  }
  kafka::Relay second(*log, options);
  second.start();
  append_shop_like(*log, 10, 800);
  ASSERT_TRUE(second.wait_published(810, 60s));
  second.stop();
  EXPECT_EQ(second.status().skipped_total, 0u);
  EXPECT_EQ(second.status().published_total, 10u);
  expect_exactly_once_in_order(read_back(), *log);
}

// What `spine serve` says of its embedded cluster: librdkafka's mock keeps
// about 5 MB per partition and drops the oldest messages beyond it.
TEST(EmbeddedCluster, KeepsAboutTheNewestFiveMegabytesOfAPartition) {
  auto started = kafka::EmbeddedCluster::start(1);
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  auto& cluster = **started;
  ASSERT_TRUE(cluster.create_topics({"retention"}, 1, 1).ok());
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", cluster.bootstrap().c_str(), error, sizeof error);
  rd_kafka_conf_set(conf, "linger.ms", "5", error, sizeof error);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  ASSERT_NE(producer, nullptr) << error;
  const std::string value(1024, 'v');
  auto produce = [&](int count) {
    for (int i = 0; i < count; ++i) {
      while (rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("retention"), RD_KAFKA_V_PARTITION(0),
                               RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer, 10);
      }
    }
    ASSERT_EQ(rd_kafka_flush(producer, 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  };
  auto watermarks = [&] {
    std::int64_t low = -1, high = -1;
    EXPECT_EQ(rd_kafka_query_watermark_offsets(producer, "retention", 0, &low, &high, 5'000), RD_KAFKA_RESP_ERR_NO_ERROR);
    return std::pair{low, high};
  };
  produce(3 * 1024);  // 3 MiB of values
  EXPECT_EQ(watermarks().first, 0) << "3 MiB are all kept";
  produce(9 * 1024);  // 12 MiB in all
  const auto [low, high] = watermarks();
  EXPECT_EQ(high, 12 * 1024);
  EXPECT_GT(low, 0) << "the oldest messages are dropped";
  const std::int64_t kept_kib = high - low;  // one KiB value per message, plus its framing
  EXPECT_GE(kept_kib, 3 * 1024);
  EXPECT_LE(kept_kib, 5 * 1024);
  rd_kafka_destroy(producer);
}

TEST(TopicRouting, EventsGoToTheirFamilysTopicAndStreamsKeepOnePartition) {
  EXPECT_EQ(kafka::family_of("OrderPlaced", "order-1"), kafka::Family::kOrders);
  EXPECT_EQ(kafka::family_of("ReturnRequested", "order-1"), kafka::Family::kReturns);
  EXPECT_EQ(kafka::family_of("RefundIssued", "order-1"), kafka::Family::kFinance);
  EXPECT_EQ(kafka::family_of("StockReserved", "stock-A"), kafka::Family::kInventory);
  EXPECT_EQ(kafka::family_of("SupplierRegistered", "supplier-x"), kafka::Family::kSuppliers);
  EXPECT_EQ(kafka::family_of("PriceChanged", "product-1"), kafka::Family::kCatalog);
  EXPECT_EQ(kafka::family_of("SomethingNew", "stock-A"), kafka::Family::kInventory);
  EXPECT_EQ(kafka::family_of("SomethingNew", "elsewhere"), kafka::Family::kOther);
  kafka::TopicNaming naming;
  naming.prefix = "shop1.";
  EXPECT_EQ(naming.topic(kafka::Family::kOrders), "shop1.orders");
  // Java's murmur2 partitioner: toPositive(murmur2(key)) % partitions, with
  // the test vectors of Kafka's own UtilsTest.testMurmur2 (with INT32_MAX
  // partitions the modulo leaves the hash as it is).
  const std::pair<const char*, std::int64_t> kJavaMurmur2[] = {
      {"21", -973932308}, {"foobar", -790332482}, {"a-little-bit-long-string", -985981536},
      {"a-little-bit-longer-string", -1486304829}, {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
      {"abc", 479470107}};
  for (const auto& [key, java_hash] : kJavaMurmur2) {
    EXPECT_EQ(kafka::partition_for(key, INT32_MAX), java_hash & 0x7fffffff) << key;
    EXPECT_EQ(kafka::partition_for(key, 6), (java_hash & 0x7fffffff) % 6) << key;
  }
  std::set<std::int32_t> used;
  for (int i = 0; i < 200; ++i) used.insert(kafka::partition_for("order-" + std::to_string(i), 6));
  EXPECT_EQ(used.size(), 6u);
}

}  // namespace
}  // namespace spine::testing

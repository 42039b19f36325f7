// kill -9 of `spine serve`, 20 times, each under concurrent place-order and
// receive-stock over HTTP: every command it acknowledged is in the log (its
// key answers the same bytes again, Idempotent-Replayed), the chain verifies,
// the read models equal a replay of the log, and, with the relay publishing to
// a Kafka cluster that outlives every kill, the topics hold each event once.
#include <gtest/gtest.h>

#include <random>

#include "spine/kafka/embedded_cluster.h"
#include "spine/kafka/relay.h"
#include "support/command_clients.h"
#include "support/kafka_support.h"

namespace spine::testing {
namespace {

constexpr int kKills = 20;
constexpr int kClients = 4;

class ServeKillLoop : public ::testing::TestWithParam<bool> {
 protected:
  // GetParam(): with the relay, to a cluster the test keeps running.
  void run_scenario();

  // One life of `serve`: started, loaded by the clients, killed after `life`.
  void live_and_die(int run, std::chrono::milliseconds life, Tally& tally);

  TempDir dir;
  std::unique_ptr<kafka::EmbeddedCluster> cluster;
  std::string admin, auditor;
};

void ServeKillLoop::live_and_die(int run, std::chrono::milliseconds life, Tally& tally) {
  HttpServe serve;
  if (cluster) serve.kafka = cluster->bootstrap();
  std::vector<std::string> extra = {"--status-interval-ms", "200"};
  if (cluster) extra.push_back("--no-create-topics");
  if (run == 0) extra.insert(extra.end(), {"--sample-orders", "20"});
  const std::string out = dir.str("serve" + std::to_string(run) + ".out");
  ASSERT_TRUE(serve.start(dir.str("data"), out, dir.str("serve.err"), extra)) << slurp(out) << slurp(dir.str("serve.err"));
  const auto killed_at = std::chrono::steady_clock::now() + life;
  std::thread killer([&] {
    std::this_thread::sleep_until(killed_at);
    kill(serve.pid, SIGKILL);
  });
  // With the relay the clients are paced: librdkafka's mock cluster keeps
  // only about 5 MB per partition, and the check needs every message.
  const auto pause = std::chrono::milliseconds(cluster ? 8 : 0);
  run_clients(
      serve.port, admin, "run" + std::to_string(run), kClients, tally,
      [&] { return std::chrono::steady_clock::now() > killed_at + std::chrono::seconds(5); },  // they stop on a lost answer
      pause);
  killer.join();
  int status = 0;
  waitpid(serve.pid, &status, 0);
  serve.pid = -1;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "run " << run << " ended otherwise: " << status;
}

void ServeKillLoop::run_scenario() {
  if (GetParam()) {
    auto started = kafka::EmbeddedCluster::start(3);
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    cluster = std::move(*started);
    ASSERT_TRUE(cluster->create_topics(kafka::TopicNaming{}.all(), 6, 3).ok());
  }
  admin = run_spine("token create --data " + dir.str("data") + " --role admin --name kill-admin");
  auditor = run_spine("token create --data " + dir.str("data") + " --role auditor --name kill-auditor");
  ASSERT_EQ(admin.rfind("spine_", 0), 0u) << admin;

  std::mt19937 rng(2026);
  Tally tally;
  for (int run = 0; run < kKills; ++run) {
    live_and_die(run, std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 1200)(rng)), tally);
    ASSERT_FALSE(HasFatalFailure());
  }
  EXPECT_TRUE(tally.unexpected.empty()) << tally.unexpected.size() << ", first: " << tally.unexpected.front();
  EXPECT_EQ(tally.no_space, 0);
  EXPECT_GE(tally.lost, kKills) << "the kills should have cut requests in flight";
  EXPECT_GE(tally.acknowledged.size(), 200u) << "the clients should have been answered before each kill";

  HttpServe serve;
  if (cluster) serve.kafka = cluster->bootstrap();
  ASSERT_TRUE(serve.start(dir.str("data"), dir.str("last.out"), dir.str("last.err"),
                          cluster ? std::vector<std::string>{"--no-create-topics"} : std::vector<std::string>{}));
  expect_each_replayed(serve.port, admin, tally.acknowledged);
  if (cluster) {
    // Everything published before the stop: the relay catches up with the head.
    const std::uint64_t head = HttpClient(serve.port, auditor).get("/v1/events?limit=1").json().value("position", 0ull);
    MessageCounter counter(cluster->bootstrap(), kafka::TopicNaming{}.all());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (counter.count() < static_cast<std::int64_t>(head) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // librdkafka's mock cluster keeps about 5 MB per partition: what it
    // dropped could not be checked, so this test stays below that.
    ASSERT_EQ(counter.dropped(), 0) << "the cluster dropped messages (retention); publish fewer; head " << head
                                    << ", held " << counter.count();
  }
  expect_stock_equals_replay_after_stop(serve, dir.str("data"), auditor);
  if (cluster) {
    auto log = store::EventStore::open_read_only(dir.str("data"));
    ASSERT_TRUE(log.ok());
    expect_exactly_once_in_order(
        consume_all(cluster->bootstrap(), kafka::TopicNaming{}.all(), (*log)->head().position), **log);
  }
}

TEST_P(ServeKillLoop, KilledTwentyTimesUnderLoadLosesNothingAcknowledged) { run_scenario(); }

INSTANTIATE_TEST_SUITE_P(Relay, ServeKillLoop, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "ToAClusterThatOutlivesIt" : "Off"; });

}  // namespace
}  // namespace spine::testing

// The real binary with Kafka: `spine serve` on its embedded cluster read by
// independent clients (kcat, and the Python example of docs/consumers.md on
// python3-confluent-kafka); and `spine relay` killed with kill -9 again and
// again mid-stream, after which the topics hold every event exactly once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "spine/kafka/embedded_cluster.h"
#include "spine/kafka/topics.h"
#include "support/kafka_support.h"
#include "support/process.h"
#include "support/test_support.h"

namespace spine::testing {
namespace {

using namespace std::chrono_literals;

std::string run_capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Positions 1..head each seen exactly once.
void expect_positions_once(const std::vector<std::uint64_t>& positions, std::uint64_t head) {
  std::map<std::uint64_t, int> seen;
  for (std::uint64_t p : positions) ++seen[p];
  for (std::uint64_t p = 1; p <= head; ++p) EXPECT_EQ(seen[p], 1) << "position " << p;
  EXPECT_EQ(positions.size(), head);
}

// `spine serve` started with `arguments`, once it is ready and its relay has
// published the whole log (its status line says "published N of N").
struct ServeProcess {
  pid_t pid = -1;
  std::string out, err;   // paths of its stdout and stderr
  std::string stdout_text;
  std::uint64_t head = 0;
};

void start_serve(const std::vector<std::string>& arguments, const std::string& out, const std::string& err,
                 ServeProcess& serve) {
  // Any free HTTP port: tests run in parallel.
  std::vector<std::string> argv{SPINE_BINARY, "serve", "--http", "127.0.0.1:0"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  serve.out = out;
  serve.err = err;
  serve.pid = spawn(argv, out, err);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (slurp(out).find("ready") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  serve.stdout_text = slurp(out);
  ASSERT_NE(serve.stdout_text.find("ready"), std::string::npos) << serve.stdout_text << slurp(err);
  serve.head = std::stoull(serve.stdout_text.substr(serve.stdout_text.find("head position ") + 14));
  const std::string done = "published " + std::to_string(serve.head) + " of " + std::to_string(serve.head);
  while (slurp(err).find(done) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_NE(slurp(err).find(done), std::string::npos) << slurp(err);
}

// Stops it with SIGTERM; returns its wait status.
int stop_serve(const ServeProcess& serve) {
  kill(serve.pid, SIGTERM);
  int status = 0;
  waitpid(serve.pid, &status, 0);
  return status;
}

class ServeEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    start_serve({"--data", dir.str("data"), "--sample-orders", "40", "--status-interval-ms", "200", "--metrics-file",
                 dir.str("metrics.prom")},
                dir.str("serve.out"), dir.str("serve.err"), serve);
    ASSERT_FALSE(HasFatalFailure());
    const std::string& text = serve.stdout_text;
    const auto at = text.find("embedded cluster (3 brokers, in memory) at ");
    ASSERT_NE(at, std::string::npos) << text;
    EXPECT_NE(text.find("keeps only the newest ~5 MB of each partition"), std::string::npos) << text;
    bootstrap = text.substr(at + 43, text.find('\n', at) - at - 43);
    head = serve.head;
    ASSERT_GT(head, 100u);
  }
  void TearDown() override {
    if (serve.pid > 0) {
      const int status = stop_serve(serve);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "serve did not stop cleanly on SIGTERM";
      EXPECT_NE(slurp(serve.err).find("SIGTERM received"), std::string::npos);
    }
  }
  TempDir dir;
  ServeProcess serve;
  std::string bootstrap;
  std::uint64_t head = 0;
};

TEST_F(ServeEndToEnd, KcatReadsEveryEventExactlyOnceInStreamOrder) {
  std::vector<std::uint64_t> positions;
  std::map<std::string, std::uint64_t> last_version;  // per topic/partition/stream
  for (const std::string& topic : kafka::TopicNaming{}.all()) {
    // The command of docs/consumers.md, with a machine-readable format.
    const std::string output = run_capture("kcat -b " + bootstrap + " -C -t " + topic +
                                           " -o beginning -e -q -f '%p %o %k %h\\n' 2>/dev/null");
    for (const std::string& line : lines_of(output)) {
      std::istringstream fields(line);
      std::string partition, offset, key, headers;
      fields >> partition >> offset >> key >> headers;
      std::map<std::string, std::string> h;
      std::stringstream hs(headers);
      for (std::string pair; std::getline(hs, pair, ',');) h[pair.substr(0, pair.find('='))] = pair.substr(pair.find('=') + 1);
      ASSERT_TRUE(h.contains("spine.position") && h.contains("spine.type") && h.contains("spine.stream_version") &&
                  h.contains("spine.event_id") && h.contains("spine.schema_version"))
          << line;
      positions.push_back(std::stoull(h["spine.position"]));
      const std::uint64_t version = std::stoull(h["spine.stream_version"]);
      std::uint64_t& last = last_version[topic + "/" + partition + "/" + key];
      EXPECT_GT(version, last) << "stream " << key << " out of order in " << topic;
      last = version;
    }
  }
  expect_positions_once(positions, head);
}

TEST_F(ServeEndToEnd, ThePythonExampleReadsEveryEventExactlyOnce) {
  const std::string output = run_capture(std::string("/usr/bin/python3 ") + SPINE_SOURCE_DIR +
                                         "/docs/examples/consume.py --bootstrap " + bootstrap + " 2>&1");
  std::vector<std::uint64_t> positions;
  bool saw_order_placed = false;
  for (const std::string& line : lines_of(output)) {
    auto event = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(event.is_discarded()) << line;
    positions.push_back(event["position"].get<std::uint64_t>());
    saw_order_placed = saw_order_placed || event["type"] == "OrderPlaced";
    EXPECT_EQ(event["topic"].get<std::string>().rfind("spine.", 0), 0u);
  }
  EXPECT_TRUE(saw_order_placed);
  expect_positions_once(positions, head);
}

TEST_F(ServeEndToEnd, SpineTailDecodesEveryEventToNdjsonThroughReflection) {
  const std::string output =
      run_capture(std::string(SPINE_BINARY) + " tail --kafka " + bootstrap + " --from-beginning --exit-at-end 2>&1");
  std::vector<std::uint64_t> positions;
  for (const std::string& line : lines_of(output)) {
    auto event = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(event.is_discarded()) << line;
    ASSERT_TRUE(event.contains("position")) << line;
    positions.push_back(event["position"].get<std::uint64_t>());
    EXPECT_TRUE(event["hash_ok"].get<bool>()) << line;
    ASSERT_TRUE(event.contains("event")) << line;
    EXPECT_EQ(event["event"]["body_type"], event["type"]) << line;  // the payload, rendered by reflection
    if (event["type"] == "OrderPlaced") {
      EXPECT_TRUE(event["event"]["body"].contains("lines")) << line;
      EXPECT_EQ(event["actor"], "web-checkout");
    }
  }
  expect_positions_once(positions, head);
  // Only one family, by its short name.
  const auto orders = lines_of(run_capture(std::string(SPINE_BINARY) + " tail --kafka " + bootstrap +
                                           " --topic orders --from-beginning -e 2>/dev/null"));
  ASSERT_FALSE(orders.empty());
  for (const std::string& line : orders) EXPECT_EQ(nlohmann::json::parse(line)["topic"], "spine.orders");
}

TEST_F(ServeEndToEnd, TheRelaysLagAndPositionAreExportedAsPrometheusMetrics) {
  const std::string published = "spine_relay{figure=\"published_position\"} " + std::to_string(head);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (slurp(dir.str("metrics.prom")).find(published) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  const std::string metrics = slurp(dir.str("metrics.prom"));
  EXPECT_NE(metrics.find(published), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("spine_relay{figure=\"lag_events\"} 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("spine_log_head_position " + std::to_string(head)), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("# TYPE spine_relay gauge"), std::string::npos);
  EXPECT_NE(metrics.find("spine_commands_total{outcome=\"accepted\"}"), std::string::npos);
}

// `--kafka HOST:PORT`: an external cluster (here one the test runs), with a
// checkpoint kept in the data directory; a restart publishes nothing twice.
TEST(ServeWithExternalKafka, PublishesOnceAcrossRestartsAndKeepsACheckpoint) {
  TempDir dir;
  auto started = kafka::EmbeddedCluster::start(3);
  ASSERT_TRUE(started.ok());
  auto& cluster = **started;
  kafka::TopicNaming naming;
  ASSERT_TRUE(cluster.create_topics(naming.all(), 3, 3).ok());
  std::uint64_t head = 0;
  for (int start = 0; start < 2; ++start) {
    ServeProcess serve;
    start_serve({"--data", dir.str("data"), "--kafka", cluster.bootstrap(), "--no-create-topics", "--sample-orders",
                 start == 0 ? "25" : "30", "--status-interval-ms", "100"},
                dir.str("serve" + std::to_string(start) + ".out"), dir.str("serve" + std::to_string(start) + ".err"), serve);
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_NE(serve.stdout_text.find("kafka: " + cluster.bootstrap()), std::string::npos) << serve.stdout_text;
    head = serve.head;
    const int status = stop_serve(serve);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << " " << slurp(serve.err);
    EXPECT_EQ(std::stoull(slurp(dir.str("data") + "/SPINE-RELAY-CHECKPOINT")), head);
  }
  auto log = store::EventStore::open_read_only(dir.str("data"));
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->head().position, head);
  expect_exactly_once_in_order(consume_all(cluster.bootstrap(), naming.all(), head), **log);
}

// The mock cluster has no Admin API (it never answers CreateTopics): when the
// topics exist the relay does not ask, so it starts without a 10 s wait.
TEST(ServeWithExternalKafka, TopicsThatExistAreNotCreatedAgain) {
  TempDir dir;
  auto started = kafka::EmbeddedCluster::start(3);
  ASSERT_TRUE(started.ok());
  auto& cluster = **started;
  ASSERT_TRUE(cluster.create_topics(kafka::TopicNaming{}.all(), 3, 3).ok());
  ServeProcess serve;
  start_serve({"--data", dir.str("data"), "--kafka", cluster.bootstrap(), "--status-interval-ms", "100"},
              dir.str("serve.out"), dir.str("serve.err"), serve);
  ASSERT_FALSE(HasFatalFailure());
  const int status = stop_serve(serve);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(slurp(serve.err).find("creating topics"), std::string::npos) << slurp(serve.err);
}

// kill -9 of the relay process, several times, mid-stream.
TEST(RelayCrash, KilledRepeatedlyMidStreamTheTopicsEndWithEveryEventExactlyOnce) {
  TempDir dir;
  auto started = kafka::EmbeddedCluster::start(3);
  ASSERT_TRUE(started.ok());
  auto& cluster = **started;
  kafka::TopicNaming naming;
  ASSERT_TRUE(cluster.create_topics(naming.all(), 6, 3).ok());
  constexpr int kEvents = 30'000;
  {
    store::Options options;
    options.sync = false;
    auto log = open_store(dir.str(), options);
    for (int i = 0; i < kEvents; i += 100) {
      store::AppendRequest request;
      request.command_id = "cmd-" + std::to_string(i);
      request.actor = "test";
      for (int j = i; j < i + 100; ++j) {
        const std::string stream = (j % 2 ? "order-" : "stock-") + std::to_string(j % 211);
        if (std::none_of(request.expectations.begin(), request.expectations.end(),
                         [&](const auto& e) { return e.stream_id == stream; })) {
          request.expectations.push_back({stream, store::ExpectedVersion::any()});
        }
        request.events.push_back(event(stream, j % 2 ? "OrderPlaced" : "StockReserved", std::string(200, 'x')));
      }
      ASSERT_TRUE(log->append(std::move(request)).ok());
    }
  }
  const std::vector<std::string> relay = {SPINE_BINARY,         "relay", "--data", dir.str(), "--kafka", cluster.bootstrap(),
                                          "--checkpoint",       dir.str("relay.checkpoint"), "--max-in-flight", "300",
                                          "--status-interval-ms", "100"};
  // Each run is killed once the topics have grown past a random point
  // between what they held and the whole log: always mid-stream.
  MessageCounter counter(cluster.bootstrap(), naming.all());
  std::mt19937 rng(12345);
  int killed_mid_stream = 0;
  for (int run = 0; run < 6; ++run) {
    const std::int64_t held = counter.count();
    const std::int64_t target = held + std::uniform_int_distribution<std::int64_t>(1, (kEvents - held) / 3)(rng);
    const pid_t child = spawn(relay, dir.str("relay.out"), dir.str("relay.err"));
    int status = 0;
    bool exited = false;
    while (!exited && counter.count() < target) {
      exited = waitpid(child, &status, WNOHANG) == child;
      std::this_thread::sleep_for(2ms);
    }
    if (!exited) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
    }
    killed_mid_stream += WIFSIGNALED(status) ? 1 : 0;
  }
  EXPECT_EQ(killed_mid_stream, 6) << "a relay finished before it was killed";
  // The kills did land mid-stream: part of the log is in Kafka, not all of it.
  const std::int64_t published_before = counter.count();
  EXPECT_GT(published_before, 0);
  EXPECT_LT(published_before, kEvents);
  // A last run to the end.
  const pid_t last = spawn(relay, dir.str("relay.out"), dir.str("relay.err"));
  int status = 0;
  waitpid(last, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(dir.str("relay.err"));
  EXPECT_NE(slurp(dir.str("relay.out")).find("published 30000 of 30000"), std::string::npos) << slurp(dir.str("relay.out"));

  auto log = store::EventStore::open_read_only(dir.str());
  ASSERT_TRUE(log.ok());
  expect_exactly_once_in_order(consume_all(cluster.bootstrap(), naming.all(), kEvents), **log);
}

}  // namespace
}  // namespace spine::testing

// `spine bench relay`: relay throughput from the log to the embedded cluster
// against a raw librdkafka idempotent producer sending the same records
// (same topics' layout, keys, values, headers) to a cluster of the same kind,
// in one run; then append-to-acknowledged latency at a steady append rate.
#include <fmt/core.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench_support.h"
#include "commands.h"
#include "spine/eventstore/event_store.h"
#include "spine/kafka/embedded_cluster.h"
#include "spine/kafka/relay.h"

namespace spine::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void must(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

store::AppendRequest one_event(std::uint64_t n, const std::string& payload) {
  const std::string stream = (n % 2 ? "order-" : "stock-") + std::to_string(n % 1000);
  store::AppendRequest request;
  request.command_id = "bench-" + std::to_string(n);
  request.actor = "bench";
  request.expectations.push_back({stream, store::ExpectedVersion::any()});
  store::NewEvent event;
  event.stream_id = stream;
  event.event_type = n % 2 ? "OrderPlaced" : "StockReserved";
  event.payload = payload;
  request.events.push_back(std::move(event));
  return request;
}

void fill(store::EventStore& log, std::size_t events, const std::string& payload) {
  for (std::size_t i = 0; i < events; i += 100) {
    store::AppendRequest batch;
    batch.command_id = "fill-" + std::to_string(i);
    batch.actor = "bench";
    for (std::size_t j = i; j < std::min(events, i + 100); ++j) {
      store::AppendRequest one = one_event(j, payload);
      if (std::none_of(batch.expectations.begin(), batch.expectations.end(),
                       [&](const auto& e) { return e.stream_id == one.expectations[0].stream_id; })) {
        batch.expectations.push_back(one.expectations[0]);
      }
      batch.events.push_back(std::move(one.events[0]));
    }
    auto appended = log.append(std::move(batch));
    must(appended.ok(), appended.ok() ? "" : appended.error().to_string());
  }
}

std::unique_ptr<kafka::EmbeddedCluster> cluster_with_topics(const kafka::TopicNaming& naming, int partitions) {
  auto started = kafka::EmbeddedCluster::start(3);
  must(started.ok(), started.ok() ? "" : started.error().to_string());
  must((*started)->create_topics(naming.all(), partitions, 3).ok(), "creating topics");
  return std::move(*started);
}

struct RelayRun {
  double events_per_second = 0;  // from the session running to everything acknowledged
  double startup_seconds = 0;    // producer, metadata and the partition tails read at start
};

// Waits until the relay's session runs (its start-up is reported apart).
void wait_running(const kafka::Relay& relay) {
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (relay.status().state != "running" && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  must(relay.status().state == "running", "the relay did not start");
}

RelayRun relay_rate(store::EventStore& log, int partitions) {
  kafka::TopicNaming naming;
  auto cluster = cluster_with_topics(naming, partitions);
  kafka::RelayOptions options;
  cluster->connect(options);
  options.log = [](const std::string&) {};
  kafka::Relay relay(log, options);
  const auto start = Clock::now();
  relay.start();
  wait_running(relay);
  const auto running = Clock::now();
  must(relay.wait_published(log.head().position, std::chrono::minutes(10)), "the relay did not finish");
  const double seconds = std::chrono::duration<double>(Clock::now() - running).count();
  relay.stop();
  return {static_cast<double>(log.head().position) / seconds, std::chrono::duration<double>(running - start).count()};
}

struct RawMessage {
  std::string topic, key, value, type, position, version, event_id, schema;
  std::int32_t partition;
};

void count_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) static_cast<std::atomic<std::uint64_t>*>(opaque)->fetch_add(1);
}

// The same records, produced by a bare idempotent producer (records read
// from the log beforehand, outside the timing).
double raw_rate(const std::vector<RawMessage>& messages, int partitions) {
  kafka::TopicNaming naming;
  auto cluster = cluster_with_topics(naming, partitions);
  char error[512];
  std::atomic<std::uint64_t> delivered{0};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, std::string> settings[] = {{"bootstrap.servers", cluster->bootstrap()},
                                                          {"enable.idempotence", "true"},
                                                          {"acks", "all"},
                                                          {"max.in.flight.requests.per.connection",
                                                           std::to_string(kafka::EmbeddedCluster::kRequestsInFlight)},
                                                          {"linger.ms", "5"},
                                                          {"queue.buffering.max.messages", "51000"},
                                                          {"log_level", "3"}};
  for (const auto& [key, value] : settings) rd_kafka_conf_set(conf, key, value.c_str(), error, sizeof(error));
  rd_kafka_conf_set_dr_msg_cb(conf, count_delivery);
  rd_kafka_conf_set_opaque(conf, &delivered);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  must(rk != nullptr, error);
  // Like the relay, learn the topics' leaders before the clock starts.
  std::vector<rd_kafka_topic_t*> handles;
  for (const std::string& topic : naming.all()) {
    handles.push_back(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
    const rd_kafka_metadata_t* metadata = nullptr;
    must(rd_kafka_metadata(rk, 0, handles.back(), &metadata, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR, "metadata");
    rd_kafka_metadata_destroy(metadata);
  }
  const auto start = Clock::now();
  for (const RawMessage& m : messages) {
    for (;;) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(m.topic.c_str()), RD_KAFKA_V_PARTITION(m.partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(m.key.data(), m.key.size()), RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()),
          RD_KAFKA_V_HEADER(kafka::kHeaderType, m.type.data(), static_cast<ssize_t>(m.type.size())),
          RD_KAFKA_V_HEADER(kafka::kHeaderPosition, m.position.data(), static_cast<ssize_t>(m.position.size())),
          RD_KAFKA_V_HEADER(kafka::kHeaderStreamVersion, m.version.data(), static_cast<ssize_t>(m.version.size())),
          RD_KAFKA_V_HEADER(kafka::kHeaderEventId, m.event_id.data(), static_cast<ssize_t>(m.event_id.size())),
          RD_KAFKA_V_HEADER(kafka::kHeaderSchemaVersion, m.schema.data(), static_cast<ssize_t>(m.schema.size())),
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      must(err == RD_KAFKA_RESP_ERR__QUEUE_FULL, rd_kafka_err2str(err));
      rd_kafka_poll(rk, 10);
    }
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 600'000);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (rd_kafka_topic_t* handle : handles) rd_kafka_topic_destroy(handle);
  rd_kafka_destroy(rk);
  must(delivered.load() == messages.size(), "the raw producer lost messages");
  return static_cast<double>(messages.size()) / seconds;
}

std::vector<RawMessage> load_messages(store::EventStore& log, int partitions) {
  kafka::TopicNaming naming;
  std::vector<RawMessage> messages;
  const Status scanned = store::for_each_record(log, 1, 0, [&](const store::RecordView& r) -> Status {
    RawMessage m;
    m.topic = naming.topic(kafka::family_of(r.event_type(), r.stream_id()));
    m.key = std::string(r.stream_id());
    m.partition = kafka::partition_for(m.key, partitions);
    m.value = std::string(r.bytes());
    m.type = std::string(r.event_type());
    m.position = std::to_string(r.position());
    m.version = std::to_string(r.stream_version());
    m.event_id = store::to_hex(r.event_id());
    m.schema = std::to_string(r.schema_version());
    messages.push_back(std::move(m));
    return ok_status();
  });
  must(scanned.ok(), "reading the log");
  return messages;
}

struct LatencyFigures {
  double p50_ms = 0, p99_ms = 0, achieved_rate = 0;
};

// Appends one-event commands at `rate`/s for `seconds` (durable appends) with
// the relay following live; latency = acknowledged by Kafka - append returned.
LatencyFigures latency(const fs::path& dir, const std::string& payload, int rate, double seconds, int partitions) {
  auto opened = store::EventStore::open(dir.string());
  must(opened.ok(), opened.ok() ? "" : opened.error().to_string());
  store::EventStore& log = **opened;
  kafka::TopicNaming naming;
  auto cluster = cluster_with_topics(naming, partitions);
  kafka::RelayOptions options;
  cluster->connect(options);
  options.log = [](const std::string&) {};
  kafka::Relay relay(log, options);
  relay.start();
  wait_running(relay);
  const std::size_t total = static_cast<std::size_t>(rate * seconds);
  std::vector<Clock::time_point> appended_at(total + 2), published_at(total + 2);
  std::atomic<bool> done{false};
  std::thread monitor([&] {
    std::uint64_t seen = 0;
    while (!done.load() || seen < total) {
      const std::uint64_t published = std::min<std::uint64_t>(relay.status().published_position, total);
      const auto now = Clock::now();
      for (std::uint64_t p = seen + 1; p <= published; ++p) published_at[p] = now;
      seen = std::max(seen, published);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  const auto start = Clock::now();
  for (std::size_t i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                              static_cast<double>(i) / rate)));
    auto result = log.append(one_event(i, payload));
    must(result.ok(), result.ok() ? "" : result.error().to_string());
    appended_at[result->first_position] = Clock::now();
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  done = true;
  monitor.join();
  relay.stop();
  std::vector<double> latencies;
  for (std::size_t p = 1; p <= total; ++p) {
    latencies.push_back(std::max(0.0, std::chrono::duration<double, std::milli>(published_at[p] - appended_at[p]).count()));
  }
  std::sort(latencies.begin(), latencies.end());
  LatencyFigures figures;
  figures.p50_ms = latencies[latencies.size() / 2];
  figures.p99_ms = latencies[static_cast<std::size_t>(0.99 * static_cast<double>(latencies.size() - 1))];
  figures.achieved_rate = static_cast<double>(total) / elapsed;
  return figures;
}

}  // namespace

int run_bench_relay(const BenchRelayArgs& args) {
  std::vector<double> relay_runs, raw_runs, startups;
  LatencyFigures lat;
  try {
    BenchDirs dirs(args.work_dir, "relay");
    const std::string payload(args.payload_bytes, 'p');
    store::Options fill_options;
    fill_options.sync = false;
    auto opened = store::EventStore::open(dirs.fresh("log").string(), fill_options);
    must(opened.ok(), opened.ok() ? "" : opened.error().to_string());
    fill(**opened, args.events, payload);
    const std::vector<RawMessage> messages = load_messages(**opened, args.partitions);
    for (int r = 0; r < args.repeats; ++r) {
      raw_runs.push_back(raw_rate(messages, args.partitions));
      const RelayRun run = relay_rate(**opened, args.partitions);
      relay_runs.push_back(run.events_per_second);
      startups.push_back(run.startup_seconds);
      fmt::print(stderr, "  run {}: relay {:.0f} events/s (after a {:.2f} s start-up), raw producer {:.0f} events/s\n",
                 r + 1, relay_runs.back(), run.startup_seconds, raw_runs.back());
    }
    opened->reset();
    lat = latency(dirs.fresh("latency"), payload, args.rate, args.latency_seconds, args.partitions);
  } catch (const std::exception& error) {
    fmt::print(stderr, "error: {}\n", error.what());
    return kExitIoError;
  }
  const double relay = median(relay_runs), raw = median(raw_runs), ratio = raw > 0 ? relay / raw : 0;
  const bool met = ratio >= 0.5;
  if (args.json) {
    fmt::print("{}\n", nlohmann::json{{"events", args.events},
                                      {"relay_events_per_second", relay},
                                      {"raw_events_per_second", raw},
                                      {"ratio", ratio},
                                      {"relay_startup_seconds", median(startups)},
                                      {"target", 0.5},
                                      {"met", met},
                                      {"latency_rate", args.rate},
                                      {"latency_achieved_rate", lat.achieved_rate},
                                      {"latency_p50_ms", lat.p50_ms},
                                      {"latency_p99_ms", lat.p99_ms}}
                           .dump(2));
  } else {
    fmt::print("spine bench relay: {} events of {} B payload, {} partitions per topic, median of {} runs\n", args.events,
               args.payload_bytes, args.partitions, args.repeats);
    fmt::print("{:<48} {:>10} {:>10} {:>7} {:>7}\n", "measure", "relay", "raw", "ratio", "target");
    fmt::print("{:<48} {:>10.0f} {:>10.0f} {:>7.2f} {:>7.1f}{}\n", "log -> embedded cluster, acks=all (events/s)", relay,
               raw, ratio, 0.5, met ? "" : " (below)");
    fmt::print("relay start-up (producer, metadata, partition tails): {:.2f} s\n", median(startups));
    fmt::print("append -> acknowledged by Kafka at {} events/s (achieved {:.0f}): p50 {:.2f} ms, p99 {:.2f} ms\n",
               args.rate, lat.achieved_rate, lat.p50_ms, lat.p99_ms);
  }
  return (args.check && !met) ? kExitBelowTarget : kExitOk;
}

}  // namespace spine::cli

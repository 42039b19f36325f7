// `spine serve`: opens the store, registers the configured warehouses and
// suppliers, optionally loads a sample shop, and streams the log to Kafka
// (the embedded cluster by default), until SIGINT or SIGTERM.
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <sstream>

#include "commands.h"
#include "sample_shop.h"
#include "serve_metrics.h"
#include "spine/commands/command_handler.h"
#include "spine/kafka/embedded_cluster.h"
#include "spine/kafka/relay.h"
#include "spine/projections/read_models.h"
#include "spine/projections/runner.h"

namespace spine::cli {

namespace {

Result<domain::Config> load_config(const std::string& path) {
  if (path.empty()) return domain::default_config();
  std::ifstream in(path);
  if (!in) return Error{"config_invalid", path, "cannot read the configuration file"};
  std::stringstream text;
  text << in.rdbuf();
  return domain::parse_config(text.str(), path);
}

}  // namespace

int run_serve(const ServeArgs& args) {
  // Signals are taken by sigwait below, not by a handler: block them before
  // any thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto config = load_config(args.config_path);
  if (!config) {
    fmt::print(stderr, "error: {}\n", config.error().to_string());
    return kExitUsage;
  }
  auto opened = store::EventStore::open(args.data_dir);
  if (!opened) {
    fmt::print(stderr, "error: cannot open the store in {}: {}\n", args.data_dir, opened.error().to_string());
    return kExitIoError;
  }
  store::EventStore& log = **opened;
  commands::CommandHandler handler(log, *config);
  for (const commands::CommandEnvelope& registration : commands::configured_registrations(handler.config())) {
    auto outcome = handler.handle(registration);
    if (!outcome) {
      fmt::print(stderr, "error: registering {}: {}\n", registration.command_id, outcome.error().to_string());
      return kExitIoError;
    }
  }
  if (args.sample_orders > 0) {
    auto sample = load_sample_shop(handler, args.sample_orders, 7);
    if (!sample) {
      fmt::print(stderr, "error: loading the sample shop: {}\n", sample.error().to_string());
      return kExitIoError;
    }
    fmt::print("sample shop: {} commands ({} refused by the shop's rules)\n", sample->commands, sample->refused);
  }
  fmt::print("store: {} (head position {})\n", args.data_dir, log.head().position);

  std::unique_ptr<kafka::EmbeddedCluster> cluster;
  std::unique_ptr<kafka::Relay> relay;
  if (args.kafka != "off") {
    kafka::RelayOptions options;
    options.naming.prefix = args.topic_prefix;
    options.partitions = args.partitions;
    if (args.kafka == "embedded") {
      auto started = kafka::EmbeddedCluster::start(3);
      if (!started) {
        fmt::print(stderr, "error: {}\n", started.error().to_string());
        return kExitIoError;
      }
      cluster = std::move(*started);
      if (Status created = cluster->create_topics(options.naming.all(), args.partitions, 3); !created) {
        fmt::print(stderr, "error: {}\n", created.error().to_string());
        return kExitIoError;
      }
      options.bootstrap = cluster->bootstrap();
      // The embedded cluster starts empty: no checkpoint, publish from the partition tails (empty).
      fmt::print("kafka: embedded cluster (3 brokers, in memory) at {}\n", options.bootstrap);
    } else {
      options.bootstrap = args.kafka;
      options.create_topics = args.create_topics;
      options.checkpoint_path = args.data_dir + "/SPINE-RELAY-CHECKPOINT";
      fmt::print("kafka: {}\n", options.bootstrap);
    }
    std::string topics;
    for (const std::string& topic : options.naming.all()) topics += (topics.empty() ? "" : " ") + topic;
    fmt::print("topics: {}\n", topics);
    fmt::print("try: kcat -b {} -C -t {}orders -o beginning -f '%k %h\\n'\n", options.bootstrap, args.topic_prefix);
    options.status_interval = std::chrono::milliseconds(args.status_interval_ms);
    relay = std::make_unique<kafka::Relay>(log, options);
    relay->start();
  } else {
    fmt::print("kafka: off\n");
  }
  // Read models: caught up from their checkpoints, then following the log.
  const std::string projections_dir = args.projections_dir.empty() ? args.data_dir + "/projections" : args.projections_dir;
  auto runner = projections::ProjectionRunner::open(log, projections_dir, projections::make_read_models(*config));
  if (!runner) {
    fmt::print(stderr, "error: cannot open the projections in {}: {}\n", projections_dir, runner.error().to_string());
    return kExitIoError;
  }
  (*runner)->start();
  fmt::print("projections: {} ({})\n", projections_dir, fmt::join(projections::read_model_names(), ", "));
  fmt::print("http: not available yet (issue 6)\nready; stop with Ctrl-C or SIGTERM\n");
  std::fflush(stdout);

  // Metrics: refreshed every status interval, written to --metrics-file.
  ServeMetrics metrics;
  std::atomic<bool> stopping{false};
  std::thread metrics_thread([&] {
    while (!stopping.load()) {
      metrics.update(log, handler, relay.get());
      if (!args.metrics_file.empty()) {
        if (Status written = metrics.write_file(args.metrics_file); !written) {
          fmt::print(stderr, "metrics: {}\n", written.error().to_string());
        }
      }
      for (int i = 0; i < args.status_interval_ms / 50 && !stopping.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  });

  int received = 0;
  sigwait(&signals, &received);
  stopping = true;
  metrics_thread.join();
  fmt::print(stderr, "spine serve: {} received, stopping\n", received == SIGTERM ? "SIGTERM" : "SIGINT");
  (*runner)->stop();
  for (const projections::ProjectionStatus& status : (*runner)->status()) {
    fmt::print(stderr, "projection {}: position {}{}\n", status.name, status.position,
               status.failed ? " FAILED: " + status.error : "");
  }
  if (relay) {
    relay->stop();
    const kafka::RelayStatus status = relay->status();
    fmt::print(stderr, "relay: published {} of {} at stop\n", status.published_position, status.head_position);
  }
  relay.reset();
  cluster.reset();
  return kExitOk;
}

int run_relay(const RelayArgs& args) {
  auto opened = store::EventStore::open_read_only(args.data_dir);
  if (!opened) {
    fmt::print(stderr, "error: cannot open the store in {}: {}\n", args.data_dir, opened.error().to_string());
    return kExitIoError;
  }
  store::EventStore& log = **opened;
  kafka::RelayOptions options;
  options.bootstrap = args.kafka;
  options.naming.prefix = args.topic_prefix;
  options.checkpoint_path = args.checkpoint_path;
  options.status_interval = std::chrono::milliseconds(args.status_interval_ms);
  if (args.max_in_flight > 0) options.max_in_flight = static_cast<std::size_t>(args.max_in_flight);
  kafka::Relay relay(log, options);
  relay.start();
  const std::uint64_t head = log.head().position;
  while (!relay.wait_published(head, std::chrono::milliseconds(1000))) {
  }
  relay.stop();
  const kafka::RelayStatus status = relay.status();
  fmt::print("published {} of {} ({} found already in Kafka)\n", status.published_position, head, status.skipped_total);
  return kExitOk;
}

}  // namespace spine::cli

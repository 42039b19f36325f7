// `spine serve`: opens the store, registers the configured warehouses and
// suppliers, optionally loads a sample shop, and streams the log to Kafka
// (the embedded cluster by default), until SIGINT or SIGTERM.
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <fstream>
#include <thread>
#include <sstream>

#include "commands.h"
#include "sample_shop.h"
#include "serve_metrics.h"
#include <sys/resource.h>

#include "spine/commands/command_handler.h"
#include "spine/commands/deadline_service.h"
#include "spine/http/api.h"
#include "spine/kafka/embedded_cluster.h"
#include "spine/kafka/relay.h"
#include "spine/projections/read_models.h"
#include "spine/projections/alerts.h"
#include "spine/projections/runner.h"

namespace spine::cli {

namespace {

// Many keep-alive connections need many descriptors: raise the soft limit to the hard one.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

Result<http::HttpServerOptions> http_options(const ServeArgs& args) {
  http::HttpServerOptions options;
  const std::size_t colon = args.http.rfind(':');
  if (colon == std::string::npos) return Error{"invalid_argument", "--http", "expected ADDRESS:PORT or off"};
  options.address = args.http.substr(0, colon);
  try {
    const int port = std::stoi(args.http.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    options.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return Error{"invalid_argument", "--http", "the port must be 0-65535"};
  }
  options.read_timeout = std::chrono::milliseconds(args.http_read_timeout_ms);
  options.idle_timeout = std::chrono::milliseconds(args.http_idle_timeout_ms);
  options.max_connections = static_cast<std::size_t>(args.http_max_connections);
  options.max_connections_per_client = static_cast<std::size_t>(args.http_max_connections_per_client);
  options.unauthenticated_idle_timeout = std::chrono::milliseconds(args.http_unauthenticated_idle_timeout_ms);
  options.max_body_bytes = args.http_max_body_bytes;
  options.worker_threads = args.http_workers;
  return options;
}

// A store without any live token gets one admin token, printed once.
Status bootstrap_admin_token(http::TokenStore& tokens) {
  auto existing = tokens.list();
  if (!existing) return existing.error();
  for (const http::TokenRecord& record : *existing) {
    if (record.revoked_at_us == 0) return ok_status();
  }
  auto created = tokens.create(http::Role::kAdmin, "admin");
  if (!created) return created.error();
  fmt::print("admin token (shown once; only its hash is kept in {}): {}\n", tokens.path(), created->secret);
  return ok_status();
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

  raise_descriptor_limit();
  auto config = load_config_file(args.config_path);
  if (!config) {
    fmt::print(stderr, "error: {}\n", config.error().to_string());
    return kExitUsage;
  }
  const store::RocksLogLevel rocksdb_log_level =
      store::parse_rocks_log_level(args.rocksdb_log_level).value_or(store::RocksLogLevel::warn);
  store::Options store_options;
  store_options.rocksdb_log_level = rocksdb_log_level;
  auto opened = store::EventStore::open(args.data_dir, store_options);
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
      cluster->connect(options);
      // The embedded cluster starts empty: no checkpoint, publish from the partition tails (empty).
      fmt::print("kafka: embedded cluster (3 brokers, in memory) at {}\n", options.bootstrap);
      fmt::print("kafka: the embedded cluster keeps only the newest ~5 MB of each partition: a long log's start is "
                 "in the store, not in Kafka (use --kafka HOST:PORT for a real cluster)\n");
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
  projections::RunnerOptions runner_options;
  runner_options.rocksdb_log_level = rocksdb_log_level;
  auto runner =
      projections::ProjectionRunner::open(log, projections_dir, projections::make_read_models(*config), runner_options);
  if (!runner) {
    fmt::print(stderr, "error: cannot open the projections in {}: {}\n", projections_dir, runner.error().to_string());
    return kExitIoError;
  }
  (*runner)->start();
  fmt::print("projections: {} ({})\n", projections_dir, fmt::join(projections::read_model_names(), ", "));
  // Deadlines the alert projection armed are recorded in the log as they fall due.
  commands::DeadlineService deadlines(handler, [&runner](std::int64_t now_us, std::size_t limit) {
    std::vector<domain::Deadline> due;
    (void)(*runner)->read("alerts", [&](const projections::Projection& model, std::uint64_t) {
      due = dynamic_cast<const projections::AlertProjection&>(model).due_deadlines(now_us, limit);
    });
    return due;
  });
  deadlines.start();

  // HTTP: the API over the store, the handler and the read models.
  ServeMetrics metrics;
  std::mutex metrics_mutex;
  std::unique_ptr<http::HttpServer> server;
  auto refresh_metrics = [&] {
    std::lock_guard lock(metrics_mutex);
    metrics.update(log, handler, relay.get(), server.get());
    return metrics.text();
  };
  http::TokenStore tokens(token_file_of(args.data_dir, args.token_file));
  http::ApiOptions api_options;
  api_options.time_zone = config->time_zone;
  api_options.extra_metrics = refresh_metrics;
  api_options.occurred_at_max_past = std::chrono::hours(24 * args.occurred_at_max_past_days);
  api_options.occurred_at_max_future = std::chrono::hours(args.occurred_at_max_future_hours);
  http::Api api(log, handler, **runner, tokens, api_options);
  if (args.http != "off") {
    auto options = http_options(args);
    if (!options) {
      fmt::print(stderr, "error: {}\n", options.error().to_string());
      return kExitUsage;
    }
    if (Status bootstrapped = bootstrap_admin_token(tokens); !bootstrapped) {
      fmt::print(stderr, "error: {}\n", bootstrapped.error().to_string());
      return kExitIoError;
    }
    if (Status loaded = tokens.load(); !loaded) {  // before listening: the first request finds the table
      fmt::print(stderr, "error: {}\n", loaded.error().to_string());
      return kExitIoError;
    }
    auto started = http::HttpServer::start(*options, api);
    if (!started) {
      fmt::print(stderr, "error: {}\n", started.error().to_string());
      return kExitIoError;
    }
    server = std::move(*started);
    const std::string base = "http://" + options->address + ":" + std::to_string(server->port());
    fmt::print("http: {} (docs/api.md; try: curl -H 'Authorization: Bearer TOKEN' {}/v1/stock)\n", base, base);
  } else {
    fmt::print("http: off\n");
  }
  fmt::print("ready; stop with Ctrl-C or SIGTERM\n");
  std::fflush(stdout);

  // --metrics-file: refreshed every status interval.
  std::atomic<bool> stopping{false};
  std::thread metrics_thread([&] {
    while (!stopping.load()) {
      (void)refresh_metrics();
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
  // Stop accepting, finish in-flight requests, then stop the readers and writers behind them.
  if (server) {
    server->shutdown(std::chrono::seconds(10));
    const http::HttpServerStats stats = server->stats();
    fmt::print(stderr, "http: {} requests on {} connections, stopped\n", stats.requests, stats.connections_total);
  }
  deadlines.stop();
  const commands::DeadlineServiceStats deadline_stats = deadlines.stats();
  fmt::print(stderr, "deadlines: {} recorded, {} failed{}\n", deadline_stats.recorded, deadline_stats.failed,
             deadline_stats.last_error.empty() ? "" : " (last: " + deadline_stats.last_error + ")");
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
  server.reset();
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

Result<domain::Config> load_config_file(const std::string& path) {
  if (path.empty()) return domain::default_config();
  std::ifstream in(path);
  if (!in) return Error{"config_invalid", path, "cannot read the configuration file"};
  std::stringstream text;
  text << in.rdbuf();
  return domain::parse_config(text.str(), path);
}

}  // namespace spine::cli

// `spine`: the command line of the Spine event log (docs/api.md).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"spine: event-sourced order and inventory backbone"};
  app.require_subcommand(1);

  spine::cli::VerifyArgs verify;
  auto* verify_cmd = app.add_subcommand("verify", "Walk the hash chain of a store; name the first bad position");
  auto* verify_data = verify_cmd->add_option("--data", verify.data_dir, "Store directory");
  auto* verify_file = verify_cmd->add_option("--file", verify.file, "An export (NDJSON) to verify instead of a store");
  verify_data->excludes(verify_file);
  verify_cmd->require_option(1, 2);
  verify_cmd->add_flag("--json", verify.json, "Print one JSON object instead of text");

  spine::cli::BenchAppendArgs bench;
  auto* bench_cmd = app.add_subcommand("bench", "Benchmarks against raw ceilings measured in the same run");
  bench_cmd->require_subcommand(0, 1);  // bare `spine bench`: every benchmark (bench all)
  auto* bench_append = bench_cmd->add_subcommand("append", "Durable append and read throughput vs raw RocksDB");
  bench_append->add_option("--dir", bench.work_dir, "Work directory for the stores (default: ./spine-bench-PID)");
  bench_append->add_option("--seconds", bench.seconds, "Seconds per measurement")->check(CLI::Range(0.1, 600.0));
  bench_append->add_option("--repeats", bench.repeats, "Runs per measurement; medians are reported")
      ->check(CLI::Range(1, 50));
  bench_append->add_option("--payload-bytes", bench.payload_bytes, "Payload size of each event")
      ->check(CLI::Range(1, 1 << 20));
  bench_append->add_option("--read-events", bench.read_events, "Events in the full-log read test")
      ->check(CLI::Range(1000, 100'000'000));
  bench_append->add_option("--appenders", bench.appenders, "Concurrent appenders in the group-commit test")
      ->check(CLI::Range(1, 1024));
  bench_append->add_flag("--json", bench.json, "Print the figures as JSON");
  bench_append->add_flag("--check", bench.check, "Exit 4 when a ratio is below its target");
  bench_append->add_option("--only", bench.only, "Measures to run: batch1 batch100 batch1000 concurrent read")
      ->check(CLI::IsMember({"batch1", "batch100", "batch1000", "concurrent", "async", "read"}));
  bench_append->add_flag("--skip-raw", bench.skip_raw, "Run Spine alone, without the raw ceiling (for profiling)");

  spine::cli::BenchOrdersArgs orders;
  auto* bench_orders = bench_cmd->add_subcommand("orders", "Place-order commands through the handler vs raw appends");
  bench_orders->add_option("--dir", orders.work_dir, "Work directory for the stores (default: ./spine-bench-orders-PID)");
  bench_orders->add_option("--seconds", orders.seconds, "Seconds per measurement")->check(CLI::Range(0.1, 600.0));
  bench_orders->add_option("--repeats", orders.repeats, "Runs; medians are reported")->check(CLI::Range(1, 50));
  bench_orders->add_option("--submitters", orders.submitters, "Concurrent submitters")->check(CLI::Range(1, 1024));
  bench_orders->add_option("--products", orders.products, "Products in the catalog (1-4 SKUs each)")
      ->check(CLI::Range(1, 100'000));
  bench_orders->add_flag("--json", orders.json, "Print the figures as JSON");
  bench_orders->add_flag("--check", orders.check, "Exit 4 when below 50,000 orders/s");

  spine::cli::ServeArgs serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run Spine: the store, the command handler and the Kafka relay");
  serve_cmd->add_option("--data", serve.data_dir, "Store directory (created if missing)")->capture_default_str();
  serve_cmd->add_option("--kafka", serve.kafka, "embedded (a mock cluster in this process), off, or host:port,...")
      ->capture_default_str();
  serve_cmd->add_option("--topic-prefix", serve.topic_prefix, "Prefix of the topic names")->capture_default_str();
  serve_cmd->add_option("--partitions", serve.partitions, "Partitions per topic when Spine creates them")
      ->check(CLI::Range(1, 1000));
  serve_cmd->add_option("--config", serve.config_path, "Shop configuration (TOML); default: the built-in shop.toml");
  serve_cmd->add_option("--sample-orders", serve.sample_orders, "Load a sample shop with this many orders at start")
      ->check(CLI::Range(0, 1'000'000));
  serve_cmd->add_option("--status-interval-ms", serve.status_interval_ms, "How often the relay logs its lag")
      ->check(CLI::Range(100, 3'600'000));
  serve_cmd->add_flag("!--no-create-topics", serve.create_topics,
                      "With --kafka HOST:PORT: do not create missing topics (they must exist)");
  serve_cmd->add_option("--projections", serve.projections_dir, "Projection database (default: <data>/projections)");
  serve_cmd->add_option("--http", serve.http, "HTTP API address ADDRESS:PORT (port 0: any free port), or off")
      ->capture_default_str();
  serve_cmd->add_option("--token-file", serve.token_file, "Bearer tokens (default: <data>/tokens.ndjson)");
  serve_cmd->add_option("--http-read-timeout-ms", serve.http_read_timeout_ms, "Time to receive one whole request")
      ->capture_default_str()->check(CLI::Range(10, 3'600'000));
  serve_cmd->add_option("--http-idle-timeout-ms", serve.http_idle_timeout_ms, "Keep-alive idle time between requests")
      ->capture_default_str()->check(CLI::Range(10, 3'600'000));
  serve_cmd->add_option("--http-max-connections", serve.http_max_connections, "Open connections at most")
      ->capture_default_str()->check(CLI::Range(1, 1'000'000));
  serve_cmd->add_option("--http-max-connections-per-client", serve.http_max_connections_per_client,
                        "Open connections from one client address at most (its oldest idle one is closed for a new one)")
      ->capture_default_str()->check(CLI::Range(1, 1'000'000));
  serve_cmd->add_option("--http-unauthenticated-idle-timeout-ms", serve.http_unauthenticated_idle_timeout_ms,
                        "Keep-alive idle time of a connection no request on which was authenticated")
      ->capture_default_str()->check(CLI::Range(10, 3'600'000));
  serve_cmd->add_option("--occurred-at-max-past-days", serve.occurred_at_max_past_days,
                        "How far back an admin's Occurred-At may lie")
      ->capture_default_str()->check(CLI::Range(1, 36'500));
  serve_cmd->add_option("--occurred-at-max-future-hours", serve.occurred_at_max_future_hours,
                        "How far ahead an admin's Occurred-At may lie")
      ->capture_default_str()->check(CLI::Range(0, 8'760));
  serve_cmd->add_option("--http-max-body-bytes", serve.http_max_body_bytes, "Request body size at most")
      ->capture_default_str()->check(CLI::Range(1024, 64 << 20));
  serve_cmd->add_option("--http-workers", serve.http_workers, "Threads for commands and waiting queries")
      ->capture_default_str()->check(CLI::Range(1, 1024));
  serve_cmd->add_option("--rocksdb-log-level", serve.rocksdb_log_level,
                        "RocksDB's own messages on stderr from this level (it keeps no LOG file)")
      ->capture_default_str()->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  serve_cmd->add_option("--metrics-file", serve.metrics_file,
                        "Write Prometheus metrics (relay lag, log head, commands) to this file");

  spine::cli::RelayArgs relay_args;
  auto* relay_cmd = app.add_subcommand("relay", "Publish a stopped store's log to Kafka, then exit");
  relay_cmd->add_option("--data", relay_args.data_dir, "Store directory")->required();
  relay_cmd->add_option("--kafka", relay_args.kafka, "Bootstrap servers host:port,...")->required();
  relay_cmd->add_option("--topic-prefix", relay_args.topic_prefix, "Prefix of the topic names")->capture_default_str();
  relay_cmd->add_option("--checkpoint", relay_args.checkpoint_path, "Checkpoint file (optional)");
  relay_cmd->add_option("--status-interval-ms", relay_args.status_interval_ms, "How often the relay logs its lag")
      ->check(CLI::Range(100, 3'600'000));
  relay_cmd->add_option("--max-in-flight", relay_args.max_in_flight, "Messages in flight at most")
      ->check(CLI::Range(1, 1'000'000));

  spine::cli::BenchRelayArgs relay_bench;
  auto* bench_relay = bench_cmd->add_subcommand("relay", "Relay to the embedded cluster vs a raw idempotent producer");
  bench_relay->add_option("--dir", relay_bench.work_dir, "Work directory (default: ./spine-bench-relay-PID)");
  bench_relay->add_option("--events", relay_bench.events, "Events in the log")->check(CLI::Range(1000, 10'000'000));
  bench_relay->add_option("--payload-bytes", relay_bench.payload_bytes, "Payload size")->check(CLI::Range(1, 1 << 20));
  bench_relay->add_option("--partitions", relay_bench.partitions, "Partitions per topic")->check(CLI::Range(1, 256));
  bench_relay->add_option("--repeats", relay_bench.repeats, "Runs; medians are reported")->check(CLI::Range(1, 50));
  bench_relay->add_option("--rate", relay_bench.rate, "Steady append rate for the latency figure")
      ->check(CLI::Range(1, 1'000'000));
  bench_relay->add_option("--latency-seconds", relay_bench.latency_seconds, "Duration of the latency run")
      ->check(CLI::Range(0.5, 600.0));
  bench_relay->add_flag("--json", relay_bench.json, "Print the figures as JSON");
  bench_relay->add_flag("--check", relay_bench.check, "Exit 4 below 0.5x the raw producer");

  spine::cli::TailArgs tail;
  spine::cli::BenchProjectionsArgs bench_projections_args;
  auto* bench_projections = bench_cmd->add_subcommand("projections", "Rebuild of every read model vs a raw log scan; live lag");
  bench_projections->add_option("--dir", bench_projections_args.work_dir, "Work directory (removed afterwards)");
  bench_projections->add_option("--events", bench_projections_args.events, "Size of the generated log")
      ->capture_default_str()->check(CLI::Range(1'000, 50'000'000));
  bench_projections->add_option("--log", bench_projections_args.log_dir,
                                "Rebuild from this existing store (read-only, kept) instead of generating one")
      ->check(CLI::ExistingDirectory);
  bench_projections->add_option("--repeats", bench_projections_args.repeats, "Runs (medians)")->capture_default_str()->check(CLI::Range(1, 20));
  bench_projections->add_option("--rate", bench_projections_args.rate, "Append rate for the lag figure (events/s)")
      ->capture_default_str()->check(CLI::Range(100, 10'000'000));
  bench_projections->add_option("--lag-seconds", bench_projections_args.lag_seconds, "Length of the lag run (0: no lag run)")->capture_default_str();
  bench_projections->add_option("--in-flight", bench_projections_args.in_flight,
                                "Lag run: async appends not yet acknowledged, at most")
      ->capture_default_str()->check(CLI::Range(1, 4096));
  bench_projections->add_flag("--blocking-appenders", bench_projections_args.blocking_appenders,
                              "Lag run: append from --appenders threads, each blocked until its append is durable");
  bench_projections->add_option("--appenders", bench_projections_args.appenders,
                                "Lag run with --blocking-appenders: appending threads")
      ->capture_default_str()->check(CLI::Range(1, 1024));
  bench_projections->add_flag("--check", bench_projections_args.check, "Exit 4 when the rebuild is below 0.25x the raw scan");
  bench_projections->add_flag("--json", bench_projections_args.json, "Print the figures as JSON");
  bench_projections->add_flag("--skip-in-memory", bench_projections_args.skip_in_memory,
                              "Leave out the in-memory replay (only the raw scan and the rebuild run: for profiling)");
  bench_projections->add_option("--batch-records", bench_projections_args.batch_records,
                                "Rebuild: records per apply + write cycle (RunnerOptions)")
      ->capture_default_str()->check(CLI::Range(1, 1'000'000));
  bench_projections->add_option("--snapshot-every", bench_projections_args.snapshot_every,
                                "Rebuild: positions between snapshots, 0 none (RunnerOptions)")
      ->capture_default_str();
  bench_projections->add_option("--catch-up-write-every", bench_projections_args.catch_up_write_every,
                                "Rebuild: records a projection applies between writes while behind (RunnerOptions)")
      ->capture_default_str()->check(CLI::Range(1, 10'000'000));


  auto* tail_cmd = app.add_subcommand("tail", "Print the events in Spine's Kafka topics as NDJSON");
  tail_cmd->add_option("--kafka", tail.kafka, "Bootstrap servers host:port,...")->required();
  tail_cmd->add_option("--topic", tail.topics, "Topic or family (orders, inventory, ...); repeatable; default: all");
  tail_cmd->add_option("--topic-prefix", tail.topic_prefix, "Prefix of the topic names")->capture_default_str();
  tail_cmd->add_flag("--from-beginning", tail.from_beginning, "Start at the oldest message instead of new ones");
  tail_cmd->add_flag("-e,--exit-at-end", tail.exit_at_end, "Exit once every partition has been read to its end");

  spine::cli::ExportArgs export_args;
  auto* export_cmd = app.add_subcommand("export", "Write the log as NDJSON (envelope fields, hashes, event JSON) on stdout");
  export_cmd->add_option("--data", export_args.data_dir, "Store directory (stopped)")->required();
  export_cmd->add_option("--from", export_args.from, "First position")->check(CLI::PositiveNumber);
  export_cmd->add_option("--to", export_args.to, "Last position (default: the head)");

  spine::cli::ImportArgs import_args;
  auto* import_cmd = app.add_subcommand("import", "Rebuild a store from an export that verifies");
  import_cmd->add_option("--data", import_args.data_dir, "New store directory (absent or empty)")->required();
  import_cmd->add_option("file", import_args.file, "The export (NDJSON)")->required();

  spine::cli::StatsArgs stats_args;
  auto* stats_cmd = app.add_subcommand("stats", "Head, counts by event type and stream family, size on disk");
  stats_cmd->add_option("--data", stats_args.data_dir, "Store directory (stopped)")->required();
  stats_cmd->add_flag("--json", stats_args.json, "Print one JSON object");

  spine::cli::BenchHttpArgs bench_http_args;
  auto* bench_http = bench_cmd->add_subcommand("http", "GET /v1/stock/{sku} vs nginx serving the same bytes; place-order over HTTP (wrk)");
  bench_http->add_option("--dir", bench_http_args.work_dir, "Work directory (removed afterwards)");
  bench_http->add_option("--seconds", bench_http_args.seconds, "Seconds per wrk run")->capture_default_str()->check(CLI::Range(1, 600));
  bench_http->add_option("--repeats", bench_http_args.repeats, "Runs (medians)")->capture_default_str()->check(CLI::Range(1, 20));
  bench_http->add_option("--connections", bench_http_args.connections, "wrk connections")->capture_default_str()->check(CLI::Range(1, 10000));
  bench_http->add_option("--wrk-threads", bench_http_args.wrk_threads, "wrk threads")->capture_default_str()->check(CLI::Range(1, 64));
  bench_http->add_option("--server-threads", bench_http_args.server_threads, "Spine I/O threads and nginx workers")
      ->capture_default_str()->check(CLI::Range(1, 64));
  bench_http->add_flag("--check", bench_http_args.check, "Exit 4 below 0.6x nginx");
  bench_http->add_flag("--json", bench_http_args.json, "Print the figures as JSON");
  bench_http->add_option("--products", bench_http_args.products, "Products of the bench shop (1-4 SKUs each)")
      ->capture_default_str()->check(CLI::Range(1, 100'000));

  spine::cli::BenchAllArgs bench_all_args;
  auto* bench_all = bench_cmd->add_subcommand("all", "Every benchmark, one table of figures, ceilings, ratios and targets");
  bench_all->add_option("--dir", bench_all_args.work_dir, "Work directory (each benchmark under DIR/NAME)");
  bench_all->add_option("--only", bench_all_args.only, "Benchmarks to run (repeatable)")
      ->check(CLI::IsMember({"append", "orders", "relay", "projections", "http"}));
  bench_all->add_flag("--quick", bench_all_args.quick, "Smoke-sized runs (seconds); not figures to quote");
  bench_all->add_flag("--json", bench_all_args.json, "Print the table as JSON");
  bench_all->add_flag("--check", bench_all_args.check, "Exit 4 when any target is missed");

  spine::cli::LoadArgs load;
  auto* load_cmd = app.add_subcommand("load", "Fill a store (stopped or new) with a realistic generated shop");
  auto* load_data = load_cmd->add_option("--data", load.data_dir, "Store directory (created if missing; not in use by serve)");
  auto* load_url = load_cmd->add_option("--url", load.url, "A running Spine instead: http://HOST:PORT (commands over its HTTP API)");
  load_data->excludes(load_url);
  load_cmd->add_option("--token", load.token, "With --url: an admin token (default: $SPINE_TOKEN)")->needs(load_url);
  load_cmd->add_flag("--no-sync", load.no_sync,
                    "With --data: no fsync per command (fast bulk load; a crash or power loss during it loses it)")
      ->needs(load_data);
  load_cmd->add_option("--config", load.config_path, "Shop configuration (TOML), as serve's; default: the built-in one");
  load_cmd->add_option("--orders", load.orders, "Orders to generate")->capture_default_str()->check(CLI::Range(1, 100'000'000));
  load_cmd->add_option("--seed", load.seed, "Seed: the same seed gives the same commands")->capture_default_str();
  load_cmd->add_option("--products", load.products, "Products in the catalog")->capture_default_str()->check(CLI::Range(1, 100'000));
  load_cmd->add_option("--orders-per-day", load.orders_per_day, "Simulated orders per day")->capture_default_str()
      ->check(CLI::Range(1, 10'000'000));
  load_cmd->add_option("--id-prefix", load.id_prefix, "Prefix of command and entity ids")->capture_default_str();
  load_cmd->add_flag("--json", load.json, "Print the figures as one JSON object");

  spine::cli::ReplayArgs replay;
  auto* replay_cmd = app.add_subcommand("replay", "Rebuild the read models offline (optionally as of a point) and print them as JSON");
  replay_cmd->add_option("--data", replay.data_dir, "Store directory")->required();
  auto* until_position = replay_cmd->add_option("--until-position", replay.until_position, "Replay records 1..P");
  auto* until_time = replay_cmd->add_option("--until-time", replay.until_time,
                                            "Replay every record recorded at or before T (RFC 3339)");
  until_position->excludes(until_time);
  replay_cmd->add_option("--projection", replay.projections, "Model to print (repeatable; default: all)")
      ->check(CLI::IsMember({"stock", "kpis", "prices", "suppliers", "alerts"}));
  replay_cmd->add_option("--timeline", replay.timeline, "Also print one timeline: order:ID, sku:ID, actor:ID or supplier:ID");
  replay_cmd->add_option("--config", replay.config_path, "Shop configuration (TOML); default: the built-in shop.toml");
  replay_cmd->add_option("--kpi-from", replay.kpi_from, "KPI range start (RFC 3339 or local day; default: first event's day)");
  replay_cmd->add_option("--kpi-to", replay.kpi_to, "KPI range end, exclusive (default: the day after the last event's)");
  replay_cmd->add_option("--granularity", replay.granularity, "KPI rows: hour, day, week, month, total")->capture_default_str();
  replay_cmd->add_option("--by", replay.by, "KPI dimension: all, channel, region, device, category, sku, supplier, rating")
      ->capture_default_str();

  spine::cli::TokenArgs token;
  auto* token_cmd = app.add_subcommand("token", "Bearer tokens of the HTTP API (one per person or integration)");
  token_cmd->require_subcommand(1);
  auto* token_create = token_cmd->add_subcommand("create", "Create a token and print it once (only its hash is kept)");
  auto* token_revoke = token_cmd->add_subcommand("revoke", "Revoke a token by id, or every live token of a name");
  auto* token_list = token_cmd->add_subcommand("list", "List tokens (ids, names, roles; never the secrets)");
  for (auto* sub : {token_create, token_revoke, token_list}) {
    sub->add_option("--data", token.data_dir, "Store directory (its tokens.ndjson)");
    sub->add_option("--token-file", token.token_file, "The token file instead");
    sub->add_flag("--json", token.json, "Print JSON");
  }
  token_create->add_option("--role", token.role, "admin, operations, customer_service, warehouse, finance, auditor, supplier, storefront")
      ->required();
  token_create->add_option("--name", token.name, "The person or integration (a supplier: its supplier id)")->required();
  token_revoke->add_option("id_or_name", token.id_or_name, "Token id (tok_...) or name")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : spine::cli::kExitUsage;
  }
  if (*verify_cmd) {
    return verify.file.empty() ? spine::cli::run_verify(verify) : spine::cli::run_verify_file(verify.file, verify.json);
  }
  if (*load_cmd) {
    if (load.data_dir.empty() && load.url.empty()) {
      std::fprintf(stderr, "error: give --data DIR or --url http://HOST:PORT\n");
      return spine::cli::kExitUsage;
    }
    return spine::cli::run_load(load);
  }
  if (*replay_cmd) return spine::cli::run_replay(replay);
  if (*token_cmd) {
    if (token.data_dir.empty() && token.token_file.empty()) {
      std::fprintf(stderr, "error: give --data DIR or --token-file FILE\n");
      return spine::cli::kExitUsage;
    }
    if (*token_create) return spine::cli::run_token_create(token);
    if (*token_revoke) return spine::cli::run_token_revoke(token);
    return spine::cli::run_token_list(token);
  }
  if (*export_cmd) return spine::cli::run_export(export_args);
  if (*import_cmd) return spine::cli::run_import(import_args);
  if (*stats_cmd) return spine::cli::run_stats(stats_args);
  if (*serve_cmd) return spine::cli::run_serve(serve);
  if (*tail_cmd) return spine::cli::run_tail(tail);
  if (*relay_cmd) return spine::cli::run_relay(relay_args);
  if (*bench_all || (*bench_cmd && bench_cmd->get_subcommands().empty())) {
    return spine::cli::run_bench_all(bench_all_args);
  }
  if (*bench_append) return spine::cli::run_bench_append(bench);
  if (*bench_orders) return spine::cli::run_bench_orders(orders);
  if (*bench_relay) return spine::cli::run_bench_relay(relay_bench);
  if (*bench_http) return spine::cli::run_bench_http(bench_http_args);
  if (*bench_projections) return spine::cli::run_bench_projections(bench_projections_args);
  return spine::cli::kExitUsage;
}

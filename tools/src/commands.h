// Entry points of the `spine` subcommands. Each returns the process exit code
// (docs/api.md, "Exit codes").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spine/result.h"

namespace spine::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitVerifyFailed = 1,   // the chain is broken; stdout names the first bad position
  kExitUsage = 2,          // bad flags (CLI11 prints the reason)
  kExitIoError = 3,        // the store could not be opened or read
  kExitBelowTarget = 4,    // bench --check: a ratio fell below its target
  kExitNotFound = 5,       // token revoke: no such live token
  kExitReplayFailed = 6,   // replay: a read model refused a record (stderr names it)
};

struct VerifyArgs {
  std::string data_dir;
  std::string file;   // an export (NDJSON) instead of a store
  bool json = false;
};
int run_verify(const VerifyArgs& args);
}  // namespace spine::cli
namespace spine::store { struct VerifyReport; }
namespace spine::domain { struct Config; }
namespace spine::cli {
// Prints a verification report (text or one JSON object); returns the exit code.
int print_verify_report(const store::VerifyReport& report, bool json);

struct BenchAppendArgs {
  std::string work_dir;          // where the benchmark stores live (removed afterwards)
  double seconds = 2.0;          // per measurement
  int repeats = 3;               // medians over this many runs
  std::size_t payload_bytes = 256;
  std::size_t read_events = 200'000;
  int appenders = 64;
  bool json = false;
  bool check = false;            // exit 4 when a ratio is below its target
  std::vector<std::string> only; // measures to run (batch1 batch100 batch1000 concurrent read); empty: all
  bool skip_raw = false;         // profile Spine alone (no ratios)
};
int run_bench_append(const BenchAppendArgs& args);

struct BenchOrdersArgs {
  std::string work_dir;
  double seconds = 3.0;
  int repeats = 3;
  int submitters = 64;
  int products = 500;                       // 1-4 SKUs each
  double target_orders_per_second = 50'000;
  bool json = false;
  bool check = false;                       // exit 4 below the target
};
int run_bench_orders(const BenchOrdersArgs& args);

struct ServeArgs {
  std::string data_dir = "./spine-data";
  std::string kafka = "embedded";   // "embedded", "off", or a bootstrap list
  std::string topic_prefix = "spine.";
  int partitions = 6;
  std::string config_path;          // empty: the built-in shop.toml
  int sample_orders = 0;            // load a sample shop of this many orders at start
  int status_interval_ms = 5000;
  std::string metrics_file;         // Prometheus text, rewritten every status interval
  bool create_topics = true;        // with --kafka HOST:PORT: create missing topics
  std::string projections_dir;      // empty: <data>/projections
  std::string http = "127.0.0.1:8080";  // ADDRESS:PORT (port 0: any free port), or "off"
  std::string token_file;           // empty: <data>/tokens.ndjson
  int http_read_timeout_ms = 10'000;
  int http_idle_timeout_ms = 60'000;
  int http_max_connections = 4096;
  int http_max_connections_per_client = 128;
  int http_unauthenticated_idle_timeout_ms = 5'000;
  std::size_t http_max_body_bytes = 1 << 20;
  int occurred_at_max_past_days = 3653;   // Occurred-At window around now (admin)
  int occurred_at_max_future_hours = 24;
  int http_workers = 64;
  std::string rocksdb_log_level = "warn";  // debug, info, warn or error: RocksDB's messages on stderr
};
int run_serve(const ServeArgs& args);

struct RelayArgs {
  std::string data_dir;
  std::string kafka;
  std::string topic_prefix = "spine.";
  std::string checkpoint_path;
  int status_interval_ms = 5000;
  int max_in_flight = 0;            // 0: the relay's default
};
// Publishes a stopped store's log to Kafka until every event is acknowledged.
int run_relay(const RelayArgs& args);

struct TailArgs {
  std::string kafka;                 // bootstrap servers
  std::string topic_prefix = "spine.";
  std::vector<std::string> topics;   // families or full names; empty: all
  bool from_beginning = false;       // else only new events
  bool exit_at_end = false;          // stop once every partition is read to its end
};
int run_tail(const TailArgs& args);

struct BenchRelayArgs {
  std::string work_dir;
  std::size_t events = 200'000;
  std::size_t payload_bytes = 256;
  int partitions = 6;
  int repeats = 3;
  int rate = 2'000;              // steady append rate for the latency figure (events/s)
  double latency_seconds = 5;
  bool json = false;
  bool check = false;            // exit 4 below 0.5x raw
};
int run_bench_relay(const BenchRelayArgs& args);

struct ExportArgs {
  std::string data_dir;
  std::uint64_t from = 1;
  std::uint64_t to = 0;  // 0: the head
};
int run_export(const ExportArgs& args);
int run_verify_file(const std::string& path, bool json);

struct ImportArgs {
  std::string data_dir;  // a new (absent or empty) directory
  std::string file;
};
int run_import(const ImportArgs& args);

struct StatsArgs {
  std::string data_dir;
  bool json = false;
};
int run_stats(const StatsArgs& args);

inline constexpr std::size_t projections_default_batch_records = 4096;        // RunnerOptions' defaults
inline constexpr std::uint64_t projections_default_snapshot_every = 100'000;
inline constexpr std::size_t projections_default_catch_up_write_every = 100'000;
struct BenchProjectionsArgs {
  std::string work_dir;
  std::size_t events = 1'000'000;  // size of the generated shop log
  std::string log_dir;             // an existing store to rebuild from instead (opened read-only, kept)
  int repeats = 3;
  int rate = 50'000;               // steady durable append rate for the lag figure (events/s)
  double lag_seconds = 5;
  int appenders = 64;               // lag run with --blocking-appenders: appending threads
  int in_flight = 256;             // lag run (default): async appends not yet acknowledged, at most
  bool blocking_appenders = false; // lag run: `appenders` blocked threads instead of async appends
  bool check = false;              // exit 4 below 0.25x the raw scan
  bool json = false;
  bool skip_in_memory = false;     // leave out the in-memory replay (profiling the rebuild alone)
  std::size_t batch_records = projections_default_batch_records;  // the rebuild's runner options
  std::uint64_t snapshot_every = projections_default_snapshot_every;
  std::size_t catch_up_write_every = projections_default_catch_up_write_every;
};
int run_bench_projections(const BenchProjectionsArgs& args);

struct BenchHttpArgs {
  std::string work_dir;
  int seconds = 5;             // per wrk run
  int repeats = 3;
  int connections = 64;        // wrk keep-alive connections
  int wrk_threads = 2;
  int server_threads = 2;      // Spine's I/O threads and nginx's workers
  std::string sku = "p0-0";    // the SKU read (a product of the bench shop)
  int products = 500;          // bench shop size (1-4 SKUs each); orders spread over "pK-0"
  bool check = false;          // exit 4 below 0.6x nginx
  bool json = false;
};
int run_bench_http(const BenchHttpArgs& args);

struct BenchAllArgs {
  std::string work_dir;           // each benchmark works under <dir>/<name>
  std::vector<std::string> only;  // benchmarks to run (append orders relay projections http); empty: all
  bool quick = false;             // smoke-sized runs (tests); figures not to be quoted
  bool json = false;
  bool check = false;             // exit 4 when any target is missed
};
int run_bench_all(const BenchAllArgs& args);

struct LoadArgs {
  std::string data_dir;      // a store (stopped, or new) ...
  std::string url;           // ... or a running Spine: http://HOST:PORT
  std::string token;         // with --url: an admin token (default: $SPINE_TOKEN)
  std::string config_path;   // the shop configuration (default: the built-in one)
  bool no_sync = false;      // with --data: no fsync per command (a bulk load into a new store)
  int orders = 1000;
  std::uint64_t seed = 7;
  int products = 24;
  int orders_per_day = 400;
  std::string id_prefix = "load";
  bool json = false;
};
int run_load(const LoadArgs& args);

struct ReplayArgs {
  std::string data_dir;
  std::optional<std::uint64_t> until_position;  // replay records 1..P
  std::string until_time;                       // or every record recorded at or before T (RFC 3339)
  std::vector<std::string> projections;         // models to print; empty: all
  std::string timeline;                         // KIND:ID: also print that timeline
  std::string config_path;                      // the shop configuration serve runs with (its time_zone cuts KPI days)
  std::string kpi_from, kpi_to;                 // default: the days the replayed events cover
  std::string granularity = "day";
  std::string by = "all";
};
int run_replay(const ReplayArgs& args);

// The shop configuration at `path` (TOML), or the built-in one when empty.
Result<domain::Config> load_config_file(const std::string& path);

struct TokenArgs {
  std::string data_dir;    // the token file is <data>/tokens.ndjson ...
  std::string token_file;  // ... unless given
  std::string role, name;  // create
  std::string id_or_name;  // revoke
  bool json = false;
};
int run_token_create(const TokenArgs& args);
int run_token_revoke(const TokenArgs& args);
int run_token_list(const TokenArgs& args);
// The token file of a store directory.
std::string token_file_of(const std::string& data_dir, const std::string& explicit_file);

}  // namespace spine::cli

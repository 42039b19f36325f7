// `spine`: the command line of the Spine event log (docs/api.md).
#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"spine: event-sourced order and inventory backbone"};
  app.require_subcommand(1);

  spine::cli::VerifyArgs verify;
  auto* verify_cmd = app.add_subcommand("verify", "Walk the hash chain of a store; name the first bad position");
  verify_cmd->add_option("--data", verify.data_dir, "Store directory")->required();
  verify_cmd->add_flag("--json", verify.json, "Print one JSON object instead of text");

  spine::cli::BenchAppendArgs bench;
  auto* bench_cmd = app.add_subcommand("bench", "Benchmarks against raw ceilings measured in the same run");
  bench_cmd->require_subcommand(1);
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
      ->check(CLI::IsMember({"batch1", "batch100", "batch1000", "concurrent", "read"}));
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : spine::cli::kExitUsage;
  }
  if (*verify_cmd) return spine::cli::run_verify(verify);
  if (*bench_append) return spine::cli::run_bench_append(bench);
  if (*bench_orders) return spine::cli::run_bench_orders(orders);
  return spine::cli::kExitUsage;
}

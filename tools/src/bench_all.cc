// `spine bench all`: runs every benchmark of the project, each as a child
// `spine bench <name> --json` (so each starts from a clean process), and
// prints one table of figures, ceilings, ratios and targets. The table in
// docs/benchmarks.md comes from it.
#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "allocator.h"
#include "commands.h"

namespace spine::cli {

namespace {

using Json = nlohmann::json;

struct TableRow {
  std::string benchmark, measure, unit;
  double spine = 0;
  double ceiling = 0;         // 0: no ceiling for this figure
  std::string ceiling_name;   // raw RocksDB, raw librdkafka, nginx, ...
  double ratio = 0;
  double target = 0;          // 0: no target
  bool target_is_ratio = true;  // else an absolute figure (orders/s)
  bool met = true;
};

struct BenchOutcome {
  std::vector<TableRow> rows;
  std::vector<std::string> notes;  // latencies and other figures of the run
};

std::string self_path() {
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : std::string("spine");
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `spine bench <arguments> --json`; its stderr goes to ours (progress).
Result<Json> run_child(const std::string& arguments) {
  const std::string command = shell_quote(self_path()) + " bench " + arguments + " --json";
  fmt::print(stderr, "== spine bench {} --json\n", arguments);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return Error{"io_error", "bench", "cannot start " + command};
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  const int status = pclose(pipe);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code != kExitOk && code != kExitBelowTarget) {
    return Error{"bench_failed", arguments, "exited with " + std::to_string(code)};
  }
  Json parsed = Json::parse(out, nullptr, false);
  if (parsed.is_discarded()) return Error{"bench_failed", arguments, "printed no JSON"};
  return parsed;
}

TableRow ratio_row(std::string benchmark, std::string measure, std::string unit, double spine, double ceiling,
                   std::string ceiling_name, double target) {
  TableRow row{std::move(benchmark), std::move(measure), std::move(unit), spine, ceiling, std::move(ceiling_name)};
  row.ratio = ceiling > 0 ? spine / ceiling : 0;
  row.target = target;
  row.met = target == 0 || row.ratio >= target;
  return row;
}

BenchOutcome append_outcome(const Json& j) {
  BenchOutcome out;
  for (const Json& row : j["rows"]) {
    out.rows.push_back(ratio_row("append", row["measure"], "", row["spine"], row["raw"], "raw RocksDB", row["target"]));
  }
  out.notes.push_back(fmt::format("append: {} appenders, latency p50 {:.0f} us, p99 {:.0f} us",
                                  j["appenders"].get<int>(), j["latency_p50_us"].get<double>(),
                                  j["latency_p99_us"].get<double>()));
  if (j.value("async_latency_p50_us", 0.0) > 0) {
    out.notes.push_back(fmt::format("append: {} async appends in flight, latency p50 {:.0f} us, p99 {:.0f} us",
                                    j["appenders"].get<int>(), j["async_latency_p50_us"].get<double>(),
                                    j["async_latency_p99_us"].get<double>()));
  }
  return out;
}

BenchOutcome orders_outcome(const Json& j) {
  BenchOutcome out;
  TableRow row = ratio_row("orders", fmt::format("place-order, {} submitters (orders/s)", j["submitters"].get<int>()),
                           "orders/s", j["orders_per_second"], j["raw_orders_per_second"], "raw append", 0);
  row.target = j["target_orders_per_second"];
  row.target_is_ratio = false;
  row.met = j["met"];
  out.rows.push_back(row);
  out.notes.push_back(fmt::format("orders: latency p50 {:.0f} us, p99 {:.0f} us",
                                  j["latency_p50_us"].get<double>(), j["latency_p99_us"].get<double>()));
  return out;
}

BenchOutcome relay_outcome(const Json& j) {
  BenchOutcome out;
  out.rows.push_back(ratio_row("relay", "log -> Kafka, acks=all (events/s)", "events/s", j["relay_events_per_second"],
                               j["raw_events_per_second"], "raw librdkafka", j["target"]));
  out.notes.push_back(fmt::format("relay: append -> acknowledged by Kafka at {} events/s: p50 {:.2f} ms, p99 {:.2f} ms",
                                  j["latency_rate"].get<int>(), j["latency_p50_ms"].get<double>(),
                                  j["latency_p99_ms"].get<double>()));
  return out;
}

BenchOutcome projections_outcome(const Json& j) {
  BenchOutcome out;
  out.rows.push_back(ratio_row("projections",
                               fmt::format("rebuild all read models, {} events (events/s)", j["events"].get<std::size_t>()),
                               "events/s", j["rebuild_events_per_second"], j["raw_scan_events_per_second"],
                               "raw RocksDB scan", j["target"]));
  out.notes.push_back(fmt::format("projections: live lag at {:.0f} events/s (asked {}): p50 {:.2f} ms, p99 {:.2f} ms",
                                  j["live_rate_achieved"].get<double>(), j["live_rate_asked"].get<int>(),
                                  j["live_lag_p50_ms"].get<double>(), j["live_lag_p99_ms"].get<double>()));
  return out;
}

BenchOutcome http_outcome(const Json& j) {
  BenchOutcome out;
  out.rows.push_back(ratio_row("http", "GET /v1/stock/{sku} (requests/s)", "requests/s", j["spine_requests_per_second"],
                               j["nginx_requests_per_second"], "nginx", j["target"]));
  out.rows.push_back(ratio_row("http", "  the same, rendering every answer (requests/s)", "requests/s",
                               j["rendering_requests_per_second"], j["nginx_requests_per_second"], "nginx", 0));
  out.rows.push_back(ratio_row("http", "POST /v1/commands/place-order (requests/s)", "requests/s",
                               j["orders_requests_per_second"], 0, "", 0));
  out.notes.push_back(fmt::format("http: GET p99 {:.2f} ms (nginx {:.2f} ms); place-order p50 {:.2f} ms, p99 {:.2f} ms",
                                  j["spine_p99_ms"].get<double>(), j["nginx_p99_ms"].get<double>(),
                                  j["orders_p50_ms"].get<double>(), j["orders_p99_ms"].get<double>()));
  return out;
}

struct Suite {
  std::string name;
  std::string arguments;        // full run
  std::string quick_arguments;  // --quick: seconds, not minutes (a smoke run, not figures to quote)
  BenchOutcome (*outcome)(const Json&);
};

std::vector<Suite> suites() {
  return {
      {"append", "append", "append --seconds 0.3 --repeats 1 --read-events 20000", append_outcome},
      {"orders", "orders", "orders --seconds 0.5 --repeats 1 --products 50", orders_outcome},
      {"relay", "relay", "relay --events 5000 --repeats 1 --latency-seconds 1", relay_outcome},
      {"projections", "projections", "projections --events 20000 --repeats 1 --lag-seconds 1 --rate 2000",
       projections_outcome},
      {"http", "http", "http --seconds 1 --repeats 1 --products 50", http_outcome},
  };
}

std::string figure(double value) { return value >= 100 ? fmt::format("{:.0f}", value) : fmt::format("{:.2f}", value); }

}  // namespace

int run_bench_all(const BenchAllArgs& args) {
  std::vector<TableRow> rows;
  std::vector<std::string> notes = {"allocator: " + allocator_name()}, failures;
  for (const Suite& suite : suites()) {
    if (!args.only.empty() && std::find(args.only.begin(), args.only.end(), suite.name) == args.only.end()) continue;
    std::string arguments = args.quick ? suite.quick_arguments : suite.arguments;
    if (!args.work_dir.empty()) arguments += " --dir " + shell_quote(args.work_dir + "/" + suite.name);
    auto json = run_child(arguments);
    if (!json) {
      fmt::print(stderr, "error: {}\n", json.error().to_string());
      failures.push_back(suite.name);
      continue;
    }
    try {
      BenchOutcome outcome = suite.outcome(*json);
      rows.insert(rows.end(), outcome.rows.begin(), outcome.rows.end());
      notes.insert(notes.end(), outcome.notes.begin(), outcome.notes.end());
    } catch (const Json::exception& error) {
      fmt::print(stderr, "error: bench {}: unexpected JSON: {}\n", suite.name, error.what());
      failures.push_back(suite.name);
    }
  }
  bool all_met = true;
  for (const TableRow& row : rows) all_met = all_met && row.met;
  if (args.json) {
    Json out_rows = Json::array();
    for (const TableRow& row : rows) {
      Json r = {{"benchmark", row.benchmark}, {"measure", row.measure}, {"spine", row.spine}, {"met", row.met}};
      r["ceiling"] = row.ceiling > 0 ? Json(row.ceiling) : Json(nullptr);
      r["ceiling_name"] = row.ceiling > 0 ? Json(row.ceiling_name) : Json(nullptr);
      r["ratio"] = row.ceiling > 0 ? Json(row.ratio) : Json(nullptr);
      r["target"] = row.target > 0 ? Json(row.target) : Json(nullptr);
      r["target_is_ratio"] = row.target_is_ratio;
      out_rows.push_back(std::move(r));
    }
    fmt::print("{}\n", Json{{"rows", out_rows}, {"notes", notes}, {"failed", failures}, {"quick", args.quick}}.dump(2));
  } else {
    fmt::print("{:<12} {:<52} {:>11} {:>11} {:<16} {:>6} {:>9}  {}\n", "benchmark", "measure", "spine", "ceiling",
               "ceiling is", "ratio", "target", "met");
    for (const TableRow& row : rows) {
      const std::string target = row.target == 0 ? "-"
                                 : row.target_is_ratio ? fmt::format("{:.2f}x", row.target)
                                                       : fmt::format("{:.0f}", row.target);
      fmt::print("{:<12} {:<52} {:>11} {:>11} {:<16} {:>6} {:>9}  {}\n", row.benchmark, row.measure, figure(row.spine),
                 row.ceiling > 0 ? figure(row.ceiling) : "-", row.ceiling > 0 ? row.ceiling_name : "-",
                 row.ceiling > 0 ? fmt::format("{:.2f}", row.ratio) : "-", target,
                 row.target == 0 ? "" : (row.met ? "yes" : "NO"));
    }
    for (const std::string& note : notes) fmt::print("{}\n", note);
    if (args.quick) fmt::print("(--quick: smoke-sized runs; do not quote these figures)\n");
    for (const std::string& failed : failures) fmt::print("bench {} FAILED (see stderr)\n", failed);
  }
  if (!failures.empty()) return kExitIoError;
  return args.check && !all_met ? kExitBelowTarget : kExitOk;
}

}  // namespace spine::cli

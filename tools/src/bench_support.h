// Shared by the `spine bench` subcommands: the work directory they create
// and remove, medians over runs and percentiles over latency samples.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace spine::commands { class CommandHandler; }

namespace spine::cli {

// The benchmark shop (bench orders, bench http): the configured warehouses and
// suppliers, `products` products ("p0".."pN") of 1-4 SKUs each ("p0-0", ...),
// 10,000,000 units of every SKU in every warehouse. Throws on a failure.
struct Catalog {
  std::vector<std::string> skus;  // "p<product>-<n>"
};
// The list price of a bench SKU "p<product>-<n>": 9,900 + 1,000 n fen (an
// order line must carry it).
std::int64_t bench_list_price(const std::string& sku);
Catalog set_up_bench_shop(commands::CommandHandler& handler, int products);

// The benchmark's stores live under `root` (default: ./spine-bench-<name>-PID),
// each in a fresh subdirectory; everything is removed at the end.
class BenchDirs {
 public:
  BenchDirs(const std::string& work_dir, const std::string& name)
      : root_(work_dir.empty() ? std::filesystem::current_path() / ("spine-bench-" + name + "-" + std::to_string(getpid()))
                               : std::filesystem::path(work_dir)) {
    std::filesystem::create_directories(root_);
  }
  ~BenchDirs() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  BenchDirs(const BenchDirs&) = delete;
  BenchDirs& operator=(const BenchDirs&) = delete;

  std::filesystem::path fresh(const std::string& name) {
    std::filesystem::path dir = root_ / (name + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(dir);
    return dir;
  }

 private:
  std::filesystem::path root_;
  int counter_ = 0;
};

// Writes back every dirty page of the machine before a durable-write run, so
// that the previous run's write-back (hundreds of MiB after a batch-of-1,000
// run) does not queue in front of this run's fsyncs.
inline void settle_disk() { ::sync(); }

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0.0 : values[values.size() / 2];
}

// `sorted` must be sorted ascending; p in [0, 1].
inline double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  return sorted[static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1))];
}

// Records per second of a raw RocksDB iterator over the log column family of
// the (stopped) store in `store_dir`: the read ceiling (bench_append.cc).
double raw_log_scan_rate(const std::filesystem::path& store_dir);

}  // namespace spine::cli

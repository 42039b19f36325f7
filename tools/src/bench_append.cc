// `spine bench append`: durable append and full-read throughput of the Spine
// log against raw RocksDB doing the same writes (sync=true) and scans, all
// measured in one run on the same disk. Medians over --repeats runs.
#include <fmt/core.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench_support.h"
#include "commands.h"
#include "spine/eventstore/event_store.h"

namespace spine::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double elapsed_seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

struct RawDb {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* log = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ~RawDb() {
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  }
};

// A plain RocksDB with a "log" column family, as Spine uses, to be the ceiling.
std::unique_ptr<RawDb> open_raw(const fs::path& dir, bool read_only, const std::vector<std::string>& families) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : families) {
    rocksdb::ColumnFamilyOptions family;
    if (name == "log") family.write_buffer_size = 64 << 20;
    descriptors.emplace_back(name, family);
  }
  auto raw = std::make_unique<RawDb>();
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = read_only ? rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &raw->handles, &db)
                                     : rocksdb::DB::Open(options, dir, descriptors, &raw->handles, &db);
  if (!status.ok()) throw std::runtime_error("raw RocksDB open failed: " + status.ToString());
  raw->db.reset(db);
  raw->log = raw->handles[1];
  return raw;
}

std::string big_endian(std::uint64_t value) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i) {
    key[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return key;
}

// Raw ceiling: batches of `batch` copies of a real record, sync=true, one thread.
double raw_append_rate(const fs::path& dir, const std::string& record, std::size_t batch, double seconds) {
  auto raw = open_raw(dir, false, {rocksdb::kDefaultColumnFamilyName, "log"});
  rocksdb::WriteOptions write;
  write.sync = true;
  std::uint64_t position = 0;
  const auto start = Clock::now();
  while (elapsed_seconds(start) < seconds) {
    rocksdb::WriteBatch wb;
    for (std::size_t i = 0; i < batch; ++i) wb.Put(raw->log, big_endian(++position), record);
    if (auto s = raw->db->Write(write, &wb); !s.ok()) throw std::runtime_error("raw write: " + s.ToString());
  }
  return static_cast<double>(position) / elapsed_seconds(start);
}

store::AppendRequest make_request(std::uint64_t command, const std::string& stream, std::size_t events,
                                  const std::string& payload, store::ExpectedVersion expected) {
  store::AppendRequest request;
  request.command_id = "bench-" + std::to_string(command);
  request.actor = "bench";
  request.expectations.push_back({stream, expected});
  request.events.reserve(events);
  for (std::size_t i = 0; i < events; ++i) {
    store::NewEvent event;
    event.stream_id = stream;
    event.event_type = "BenchEvent";
    event.payload = payload;
    request.events.push_back(std::move(event));
  }
  return request;
}

double spine_append_rate(const fs::path& dir, const std::string& payload, std::size_t batch, double seconds) {
  auto opened = store::EventStore::open(dir.string());
  if (!opened) throw std::runtime_error(opened.error().to_string());
  auto& log = **opened;
  std::uint64_t events = 0, command = 0;
  const auto start = Clock::now();
  while (elapsed_seconds(start) < seconds) {
    ++command;
    auto result = log.append(make_request(command, "stream-" + std::to_string(command % 1000), batch, payload,
                                          store::ExpectedVersion::any()));
    if (!result) throw std::runtime_error(result.error().to_string());
    events += batch;
  }
  const double rate = static_cast<double>(events) / elapsed_seconds(start);
  const auto stats = log.write_stats();
  fmt::print(stderr, "  batch {}: {} groups, build {} us, write {} us\n", batch, stats.groups, stats.build_micros,
             stats.write_micros);
  return rate;
}

struct ConcurrentFigures {
  double events_per_second = 0;
  std::vector<double> latencies_us;
};

// What both 64-at-once measures share: a fresh store, the count of appends
// done, each appender's latencies, and the figures at the end.
struct ConcurrentRun {
  std::unique_ptr<store::EventStore> log;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> events{0};
  std::vector<std::vector<double>> latencies;  // per appender
  Clock::time_point start;

  ConcurrentRun(const fs::path& dir, int appenders) : latencies(static_cast<std::size_t>(appenders)) {
    auto opened = store::EventStore::open(dir.string());
    if (!opened) throw std::runtime_error(opened.error().to_string());
    log = std::move(*opened);
    start = Clock::now();
  }
  // Appender `chain`'s next one-event command on its own stream, at an exact expected version.
  static store::AppendRequest next_request(int chain, std::uint64_t version, const std::string& payload) {
    return make_request((static_cast<std::uint64_t>(chain) << 40) | version, "appender-" + std::to_string(chain), 1,
                        payload,
                        version == 0 ? store::ExpectedVersion::no_stream() : store::ExpectedVersion::exact(version));
  }
  void record(int chain, Clock::time_point begin) {
    latencies[static_cast<std::size_t>(chain)].push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - begin).count());
    events.fetch_add(1, std::memory_order_relaxed);
  }
  ConcurrentFigures figures(const std::string& label) {
    ConcurrentFigures out;
    out.events_per_second = static_cast<double>(events.load()) / elapsed_seconds(start);
    const auto stats = log->write_stats();
    fmt::print(stderr, "  {}: {} appends in {} groups ({:.1f} per group), build {} us, write {} us\n", label,
               stats.appends, stats.groups, stats.groups ? double(stats.appends) / double(stats.groups) : 0.0,
               stats.build_micros, stats.write_micros);
    for (auto& per_appender : latencies) {
      out.latencies_us.insert(out.latencies_us.end(), per_appender.begin(), per_appender.end());
    }
    return out;
  }
};

// `appenders` threads, each appending one-event commands to its own stream
// with exact expected versions, for `seconds`.
ConcurrentFigures spine_concurrent_rate(const fs::path& dir, const std::string& payload, int appenders,
                                        double seconds) {
  ConcurrentRun run(dir, appenders);
  std::vector<std::thread> threads;
  for (int t = 0; t < appenders; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint64_t version = 0; !run.stop.load(std::memory_order_relaxed); ++version) {
        const auto begin = Clock::now();
        auto result = run.log->append(ConcurrentRun::next_request(t, version, payload));
        if (!result) throw std::runtime_error(result.error().to_string());
        run.record(t, begin);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  run.stop = true;
  for (auto& thread : threads) thread.join();
  return run.figures(fmt::format("{} appenders", appenders));
}

// `appenders` appends always in flight from one thread through append_async:
// each append's callback records it and appends that chain's next event, so no
// thread is parked per append.
ConcurrentFigures spine_async_rate(const fs::path& dir, const std::string& payload, int appenders, double seconds) {
  ConcurrentRun run(dir, appenders);
  std::mutex mutex;
  std::condition_variable chains_changed;
  int chains_running = appenders;
  std::string first_error;
  auto finish_chain = [&](const std::string& error) {
    std::lock_guard lock(mutex);
    if (!error.empty() && first_error.empty()) first_error = error;
    --chains_running;
    chains_changed.notify_all();
  };
  std::function<void(int, std::uint64_t)> append_next = [&](int chain, std::uint64_t version) {
    const auto begin = Clock::now();
    run.log->append_async(ConcurrentRun::next_request(chain, version, payload),
                          [&, chain, version, begin](Result<store::AppendResult> result) {
                            if (!result) return finish_chain(result.error().to_string());
                            run.record(chain, begin);
                            if (run.stop.load(std::memory_order_relaxed)) return finish_chain("");
                            append_next(chain, version + 1);
                          });
  };
  for (int chain = 0; chain < appenders; ++chain) append_next(chain, 0);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  run.stop = true;
  {
    std::unique_lock lock(mutex);
    chains_changed.wait(lock, [&] { return chains_running == 0; });
    if (!first_error.empty()) throw std::runtime_error(first_error);
  }
  return run.figures(fmt::format("{} async appends in flight", appenders));
}

// Fills a Spine store with `count` events (unsynced, to be quick) for the read test.
void fill_store(const fs::path& dir, const std::string& payload, std::size_t count) {
  store::Options options;
  options.sync = false;
  auto opened = store::EventStore::open(dir.string(), options);
  if (!opened) throw std::runtime_error(opened.error().to_string());
  std::uint64_t command = 0;
  for (std::size_t written = 0; written < count; written += 1000) {
    ++command;
    auto result = (*opened)->append(make_request(command, "stream-" + std::to_string(command % 5000),
                                                 std::min<std::size_t>(1000, count - written), payload,
                                                 store::ExpectedVersion::any()));
    if (!result) throw std::runtime_error(result.error().to_string());
  }
}

double raw_scan_rate(const fs::path& dir) {
  auto raw = open_raw(dir, true, {rocksdb::kDefaultColumnFamilyName, "log", "streams", "commands", "meta"});
  const auto start = Clock::now();
  std::uint64_t records = 0, bytes = 0;
  std::unique_ptr<rocksdb::Iterator> it(raw->db->NewIterator(rocksdb::ReadOptions(), raw->log));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    bytes += it->key().size() + it->value().size();
    ++records;
  }
  if (bytes == 0) throw std::runtime_error("raw scan read nothing");
  return static_cast<double>(records) / elapsed_seconds(start);
}

double spine_scan_rate(const fs::path& dir) {
  auto opened = store::EventStore::open_read_only(dir.string());
  if (!opened) throw std::runtime_error(opened.error().to_string());
  const auto start = Clock::now();
  std::uint64_t next = 1, records = 0;
  for (;;) {
    auto batch = (*opened)->read_all(next, 10'000);
    if (!batch) throw std::runtime_error(batch.error().to_string());
    if (batch->empty()) break;
    records += batch->size();
    next = batch->back().position() + 1;
  }
  return static_cast<double>(records) / elapsed_seconds(start);
}

// Round `round` of a pair of runs: each starts on a settled disk, and the two
// sides take turns going first, so that neither inherits the other's
// write-back more often.
template <typename RunRaw, typename RunSpine>
void run_in_turn(int round, RunRaw run_raw, RunSpine run_spine) {
  if (round % 2 == 0) {
    settle_disk();
    run_raw();
  }
  settle_disk();
  run_spine();
  if (round % 2 == 1) {
    settle_disk();
    run_raw();
  }
}

bool selected(const BenchAppendArgs& args, const std::string& measure) {
  return args.only.empty() || std::find(args.only.begin(), args.only.end(), measure) != args.only.end();
}

struct Row {
  std::string name;
  double spine = 0;
  double raw = 0;
  double target = 0;
};

}  // namespace

int run_bench_append(const BenchAppendArgs& args) {
  BenchDirs dirs(args.work_dir, "append");
  const std::string payload(args.payload_bytes, 'p');

  // The raw ceiling writes the very bytes Spine stores for such an event.
  std::string record;
  {
    auto opened = store::EventStore::open(dirs.fresh("template").string());
    if (!opened) {
      fmt::print(stderr, "error: {}\n", opened.error().to_string());
      return kExitIoError;
    }
    auto appended = (*opened)->append(make_request(1, "stream-1", 1, payload, store::ExpectedVersion::any()));
    if (!appended) {
      fmt::print(stderr, "error: {}\n", appended.error().to_string());
      return kExitIoError;
    }
    record = (*opened)->read_at(1)->bytes();
  }

  std::vector<Row> rows;
  double p50 = 0, p99 = 0, async_p50 = 0, async_p99 = 0;
  try {
    for (std::size_t batch : {std::size_t{1}, std::size_t{100}, std::size_t{1000}}) {
      if (!selected(args, "batch" + std::to_string(batch))) continue;
      std::vector<double> spine_runs, raw_runs;
      for (int r = 0; r < args.repeats; ++r) {
        run_in_turn(
            r,
            [&] {
              if (!args.skip_raw) raw_runs.push_back(raw_append_rate(dirs.fresh("raw"), record, batch, args.seconds));
            },
            [&] { spine_runs.push_back(spine_append_rate(dirs.fresh("spine"), payload, batch, args.seconds)); });
      }
      rows.push_back({fmt::format("append, batch of {} (events/s)", batch), median(spine_runs), median(raw_runs), 0.7});
    }
    // 64 appends at once, by blocked threads or in flight from one thread, against raw batches of 64.
    auto measure_concurrent = [&](const std::string& name, auto run_spine, double& latency_p50, double& latency_p99) {
      std::vector<double> spine_runs, raw_runs, all_latencies;
      for (int r = 0; r < args.repeats; ++r) {
        run_in_turn(
            r,
            [&] {
              if (args.skip_raw) return;
              raw_runs.push_back(raw_append_rate(dirs.fresh("raw"), record, static_cast<std::size_t>(args.appenders),
                                                 args.seconds));
            },
            [&] {
              ConcurrentFigures figures = run_spine(dirs.fresh("spine"), payload, args.appenders, args.seconds);
              spine_runs.push_back(figures.events_per_second);
              all_latencies.insert(all_latencies.end(), figures.latencies_us.begin(), figures.latencies_us.end());
            });
      }
      std::sort(all_latencies.begin(), all_latencies.end());
      latency_p50 = percentile(all_latencies, 0.50);
      latency_p99 = percentile(all_latencies, 0.99);
      rows.push_back({name, median(spine_runs), median(raw_runs), 0.5});
    };
    if (selected(args, "concurrent")) {
      measure_concurrent(fmt::format("{} appenders x 1 event vs raw batches of {} (events/s)", args.appenders,
                                     args.appenders),
                         spine_concurrent_rate, p50, p99);
    }
    if (selected(args, "async")) {
      measure_concurrent(fmt::format("{} async appends in flight, 1 thread, vs raw batches of {} (events/s)",
                                     args.appenders, args.appenders),
                         spine_async_rate, async_p50, async_p99);
    }
    if (selected(args, "read")) {
      const fs::path dir = dirs.fresh("read");
      fill_store(dir, payload, args.read_events);
      std::vector<double> spine_runs, raw_runs;
      for (int r = 0; r < args.repeats; ++r) {
        if (!args.skip_raw) raw_runs.push_back(raw_scan_rate(dir));
        spine_runs.push_back(spine_scan_rate(dir));
      }
      rows.push_back({fmt::format("full-log read of {} events (events/s)", args.read_events), median(spine_runs),
                      median(raw_runs), 0.5});
    }
  } catch (const std::exception& error) {
    fmt::print(stderr, "error: {}\n", error.what());
    return kExitIoError;
  }

  bool all_met = true;
  nlohmann::json json_rows = nlohmann::json::array();
  if (!args.json) {
    fmt::print("spine bench append: payload {} B, {} s per run, median of {} runs\n", args.payload_bytes,
               args.seconds, args.repeats);
    fmt::print("{:<58} {:>12} {:>12} {:>7} {:>7}\n", "measure", "spine", "raw", "ratio", "target");
  }
  for (const auto& row : rows) {
    const double ratio = row.raw > 0 ? row.spine / row.raw : 0;
    const bool met = ratio >= row.target;
    all_met = all_met && met;
    if (args.json) {
      json_rows.push_back({{"measure", row.name}, {"spine", row.spine}, {"raw", row.raw}, {"ratio", ratio},
                           {"target", row.target}, {"met", met}});
    } else {
      fmt::print("{:<58} {:>12.0f} {:>12.0f} {:>7.2f} {:>6.1f}{}\n", row.name, row.spine, row.raw, ratio, row.target,
                 met ? "" : " (below)");
    }
  }
  if (args.json) {
    fmt::print("{}\n", nlohmann::json{{"rows", json_rows},
                                      {"appenders", args.appenders},
                                      {"latency_p50_us", p50},
                                      {"latency_p99_us", p99},
                                      {"async_latency_p50_us", async_p50},
                                      {"async_latency_p99_us", async_p99}}
                           .dump(2));
  } else {
    fmt::print("{} appenders, append latency: p50 {:.0f} us, p99 {:.0f} us\n", args.appenders, p50, p99);
    if (async_p50 > 0) {
      fmt::print("{} async appends in flight, append latency: p50 {:.0f} us, p99 {:.0f} us\n", args.appenders,
                 async_p50, async_p99);
    }
  }
  return (args.check && !all_met) ? kExitBelowTarget : kExitOk;
}

double raw_log_scan_rate(const std::filesystem::path& store_dir) { return raw_scan_rate(store_dir); }

}  // namespace spine::cli

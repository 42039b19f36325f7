// `spine bench projections`: (1) rebuild of every read model from a
// generated shop log of N events (default 1,000,000) against a raw RocksDB
// iterator scan of the same log, in one run; (2) live lag: append acknowledged
// to visible in the projections, at a steady durable append rate.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <chrono>
#include <mutex>
#include <thread>

#include <sys/resource.h>

#include "allocator.h"
#include "bench_support.h"
#include "commands.h"
#include "shop_generator.h"
#include "spine/commands/command_handler.h"
#include "spine/projections/read_models.h"
#include "spine/projections/runner.h"

namespace spine::cli {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// CPU seconds (user + system) of every thread of this process so far: the
// rebuild's cost, steadier than its wall time on a shared machine.
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// One command's events, taken back from a generated log to be appended again.
struct Command {
  store::AppendRequest request;
};

std::vector<Command> commands_of(const store::EventStore& log, std::uint64_t limit) {
  std::vector<Command> out;
  std::string current;
  Status s = store::for_each_record(log, 1, std::min(limit, log.head().position), [&](const store::RecordView& r) {
    if (out.empty() || r.command_id() != current) {
      current = std::string(r.command_id());
      out.emplace_back();
      out.back().request.command_id = "replayed:" + current;
      out.back().request.actor = std::string(r.actor());
    }
    store::AppendRequest& request = out.back().request;
    bool named = false;
    for (const auto& e : request.expectations) named = named || e.stream_id == r.stream_id();
    if (!named) request.expectations.push_back({std::string(r.stream_id()), store::ExpectedVersion::any()});
    store::NewEvent event;
    event.stream_id = std::string(r.stream_id());
    event.event_type = std::string(r.event_type());
    event.payload = std::string(r.payload());
    event.occurred_at_us = r.occurred_at_us();
    request.events.push_back(std::move(event));
    return ok_status();
  });
  if (!s.ok()) throw std::runtime_error(s.error().to_string());
  return out;
}

struct LiveLag {
  std::uint64_t events = 0;
  double seconds = 0;
  std::uint64_t refused = 0;    // appends the store refused (not in the lag figures)
  std::vector<double> lags_ms;  // sorted
};

// Acknowledged appends, handed from the appenders to the watcher thread,
// which waits for each to be visible in the projections.
struct AckQueue {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::pair<std::uint64_t, Clock::time_point>> acked;  // last position, acknowledged at
  bool appending = true;

  void push(std::uint64_t position) {
    std::lock_guard lock(mutex);
    acked.emplace_back(position, Clock::now());
    changed.notify_one();
  }
  void close() {
    std::lock_guard lock(mutex);
    appending = false;
    changed.notify_one();
  }
};

// Seconds from `start` at which a command is due, so that the events before
// it keep to `rate` events per second.
double due_at(std::uint64_t events_before, double rate) { return static_cast<double>(events_before) / rate; }

// `threads` threads, each appending one command at a time and blocked until
// it is durable; returns the appends refused.
std::uint64_t append_blocking(store::EventStore& log, const std::vector<Command>& commands, double rate, int threads,
                              AckQueue& acks) {
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> appended_events{0}, refused{0};
  const auto start = Clock::now();
  std::vector<std::thread> appenders;
  for (int t = 0; t < threads; ++t) {
    appenders.emplace_back([&] {
      while (true) {
        const std::size_t i = next.fetch_add(1);
        if (i >= commands.size()) return;
        const double wait = due_at(appended_events.load(), rate) - seconds_since(start);
        if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
        appended_events += commands[i].request.events.size();
        auto appended = log.append(commands[i].request);
        if (!appended) {
          ++refused;
          continue;
        }
        acks.push(appended->last_position);
      }
    });
  }
  for (std::thread& t : appenders) t.join();
  return refused.load();
}

// One thread submitting the commands through append_async at the rate, with
// at most `in_flight` appends not yet acknowledged (no thread parked per
// append); returns the appends refused.
std::uint64_t append_in_flight(store::EventStore& log, const std::vector<Command>& commands, double rate,
                               int in_flight, AckQueue& acks) {
  std::mutex mutex;
  std::condition_variable settled;
  int pending = 0;
  std::uint64_t refused = 0;
  const auto start = Clock::now();
  std::uint64_t submitted_events = 0;
  for (const Command& command : commands) {
    const double wait = due_at(submitted_events, rate) - seconds_since(start);
    if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
    {
      std::unique_lock lock(mutex);
      settled.wait(lock, [&] { return pending < in_flight; });
      ++pending;
    }
    submitted_events += command.request.events.size();
    log.append_async(command.request, [&](Result<store::AppendResult> result) {
      if (result) acks.push(result->last_position);
      std::lock_guard lock(mutex);
      if (!result) ++refused;
      --pending;
      settled.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  settled.wait(lock, [&] { return pending == 0; });
  return refused;
}

LiveLag measure_live_lag(const std::vector<Command>& commands, const BenchProjectionsArgs& args, BenchDirs& dirs) {
  auto log = store::EventStore::open(dirs.fresh("live").string());
  if (!log) throw std::runtime_error(log.error().to_string());
  auto runner = projections::ProjectionRunner::open(**log, dirs.fresh("live-projections").string(),
                                                    projections::make_read_models(domain::default_config()));
  if (!runner) throw std::runtime_error(runner.error().to_string());
  (*runner)->start();

  AckQueue acks;
  LiveLag result;
  std::thread watcher([&] {
    std::unique_lock lock(acks.mutex);
    while (true) {
      acks.changed.wait(lock, [&] { return !acks.acked.empty() || !acks.appending; });
      if (acks.acked.empty()) return;
      const auto [position, at] = acks.acked.front();
      acks.acked.pop_front();
      lock.unlock();
      (*runner)->wait_for(position, std::chrono::seconds(30));
      result.lags_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - at).count());
      lock.lock();
    }
  });

  const auto start = Clock::now();
  result.refused = args.blocking_appenders
                       ? append_blocking(**log, commands, args.rate, args.appenders, acks)
                       : append_in_flight(**log, commands, args.rate, args.in_flight, acks);
  result.seconds = seconds_since(start);
  result.events = (*log)->head().position;
  acks.close();
  watcher.join();
  (*runner)->stop();
  std::sort(result.lags_ms.begin(), result.lags_ms.end());
  return result;
}

// Generates a shop log of about `events` events into `dir` (no fsync: setup only).
void generate_log(const std::filesystem::path& dir, std::size_t events) {
  store::Options options;
  options.sync = false;
  auto opened = store::EventStore::open(dir.string(), options);
  if (!opened) throw std::runtime_error(opened.error().to_string());
  commands::CommandHandler handler(**opened, domain::default_config());
  load::LoadOptions load;
  load.orders = static_cast<int>(events / 8 + 1);
  load.orders_per_day = 2'000;
  const auto start = Clock::now();
  auto generated = load::generate_shop(handler, load);
  if (!generated) throw std::runtime_error(generated.error().to_string());
  fmt::print(stderr, "generated {} events ({} orders) in {:.1f} s\n", (*opened)->head().position, load.orders,
             seconds_since(start));
}

}  // namespace

int run_bench_projections(const BenchProjectionsArgs& args) {
  BenchDirs dirs(args.work_dir, "projections");
  try {
    // A shop log of the requested size (no fsync while generating: setup
    // only), or the store named by --log.
    const std::filesystem::path store_dir = args.log_dir.empty() ? dirs.fresh("store") : std::filesystem::path(args.log_dir);
    if (args.log_dir.empty()) generate_log(store_dir, args.events);
    auto opened = store::EventStore::open_read_only(store_dir.string());
    if (!opened) throw std::runtime_error(opened.error().to_string());
    store::EventStore& log = **opened;
    const std::uint64_t events = log.head().position;

    std::vector<double> raw_runs, memory_runs, rebuild_runs, rebuild_cpu_us;  // cpu: microseconds per event
    for (int r = 0; r < args.repeats; ++r) {
      raw_runs.push_back(raw_log_scan_rate(store_dir));
      if (!args.skip_in_memory) {
        auto models = projections::make_read_models(domain::default_config());
        std::vector<projections::Projection*> list;
        for (auto& m : models) list.push_back(m.get());
        const auto start = Clock::now();
        Status s = projections::replay_in_memory(log, list, 0);
        if (!s.ok()) throw std::runtime_error(s.error().to_string());
        memory_runs.push_back(static_cast<double>(events) / seconds_since(start));
      }
      {
        projections::RunnerOptions rebuild_options;
        rebuild_options.batch_records = args.batch_records;
        rebuild_options.snapshot_every = args.snapshot_every;
        rebuild_options.catch_up_write_every = args.catch_up_write_every;
        auto runner = projections::ProjectionRunner::open(log, dirs.fresh("rebuild").string(),
                                                          projections::make_read_models(domain::default_config()),
                                                          rebuild_options);
        if (!runner) throw std::runtime_error(runner.error().to_string());
        const auto start = Clock::now();
        const double cpu_start = process_cpu_seconds();
        if (Status s = (*runner)->catch_up(); !s.ok()) throw std::runtime_error(s.error().to_string());
        rebuild_runs.push_back(static_cast<double>(events) / seconds_since(start));
        rebuild_cpu_us.push_back((process_cpu_seconds() - cpu_start) * 1e6 / static_cast<double>(events));
      }
      const std::string memory_rate = memory_runs.empty() ? "skipped" : fmt::format("{:.0f}/s", memory_runs.back());
      fmt::print(stderr, "run {}: raw scan {:.0f}/s, in-memory replay {}, rebuild {:.0f}/s\n", r + 1, raw_runs.back(),
                 memory_rate, rebuild_runs.back());
    }
    const double raw = median(raw_runs), rebuild = median(rebuild_runs);
    // --lag-seconds 0: the rebuild only.
    const auto lag_events = static_cast<std::uint64_t>(args.rate * args.lag_seconds);
    const LiveLag live = lag_events == 0 ? LiveLag{} : measure_live_lag(commands_of(log, lag_events), args, dirs);
    const double achieved = live.seconds > 0 ? static_cast<double>(live.events) / live.seconds : 0.0;
    const double lag_p50 = percentile(live.lags_ms, 0.5), lag_p99 = percentile(live.lags_ms, 0.99);
    const double lag_max = live.lags_ms.empty() ? 0.0 : live.lags_ms.back();
    if (args.json) {
      fmt::print("{}\n", nlohmann::json{{"events", events},
                                        {"rebuild_events_per_second", rebuild},
                                        {"raw_scan_events_per_second", raw},
                                        {"in_memory_events_per_second", median(memory_runs)},
                                        {"rebuild_cpu_us_per_event", median(rebuild_cpu_us)},
                                        {"allocator", allocator_name()},
                                        {"ratio", rebuild / raw},
                                        {"target", 0.25},
                                        {"met", rebuild / raw >= 0.25},
                                        {"live_rate_asked", args.rate},
                                        {"live_rate_achieved", achieved},
                                        {"live_appends", args.blocking_appenders ? "blocking" : "async"},
                                        {"live_appends_refused", live.refused},
                                        {"live_lag_p50_ms", lag_p50},
                                        {"live_lag_p99_ms", lag_p99},
                                        {"live_lag_max_ms", lag_max}}
                             .dump(2));
    } else {
      fmt::print("{:<58} {:>12} {:>12} {:>7} {:>7}\n", "measure", "spine", "raw", "ratio", "target");
      fmt::print("{:<58} {:>12.0f} {:>12.0f} {:>7.3f} {:>7}\n",
                 fmt::format("rebuild all read models, {} events (events/s)", events), rebuild, raw, rebuild / raw, "0.25");
      if (!memory_runs.empty()) {
        fmt::print("{:<58} {:>12.0f} {:>12.0f} {:>7.3f} {:>7}\n", "  of which apply only, in memory (events/s)",
                   median(memory_runs), raw, median(memory_runs) / raw, "-");
      }
      fmt::print("rebuild CPU, all threads: {:.2f} us per event ({})\n", median(rebuild_cpu_us), allocator_name());
      const std::string appending = args.blocking_appenders ? fmt::format("{} blocked appenders", args.appenders)
                                                            : fmt::format("up to {} async appends in flight", args.in_flight);
      fmt::print("live: {} events appended durably in {:.1f} s ({:.0f} events/s, asked {}), {}, {} refused\n",
                 live.events, live.seconds, achieved, args.rate, appending, live.refused);
      fmt::print("live lag, append acknowledged to visible (ms): p50 {:.2f}  p99 {:.2f}  max {:.2f}  ({} appends)\n",
                 lag_p50, lag_p99, lag_max, live.lags_ms.size());
    }
    if (args.check && rebuild / raw < 0.25) return kExitBelowTarget;
  } catch (const std::exception& error) {
    fmt::print(stderr, "error: {}\n", error.what());
    return kExitIoError;
  }
  return kExitOk;
}

}  // namespace spine::cli

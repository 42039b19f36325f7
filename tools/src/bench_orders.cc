// `spine bench orders`: place-order commands (1-3 lines) through the command
// handler into the durable log from many concurrent submitters, against the
// same run's raw append of the same events (no decision, pre-encoded
// payloads), so that the handler's overhead shows as a ratio.
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "bench_support.h"
#include "commands.h"
#include "spine/commands/command_handler.h"
#include "spine/domain/streams.h"

namespace spine::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;


struct RunFigures {
  double orders_per_second = 0;
  std::vector<double> latencies_us;
  std::uint64_t conflicts = 0;
  std::uint64_t refused = 0;
};

// The shape of one order, drawn from the handbook's figures: 60 % one line,
// 30 % two, 10 % three; East China over a third of the orders.
struct OrderShape {
  std::vector<std::pair<std::string, int>> lines;  // sku, quantity
  std::string region;
  shop::Channel channel;
};

OrderShape draw_order(std::mt19937_64& rng, const Catalog& catalog) {
  static const char* kRegions[] = {"east", "east", "east", "east", "south", "south", "south", "north", "north",
                                   "central_west"};
  OrderShape shape;
  const int roll = static_cast<int>(rng() % 10);
  const int lines = roll < 6 ? 1 : (roll < 9 ? 2 : 3);
  while (static_cast<int>(shape.lines.size()) < lines) {
    const std::string& sku = catalog.skus[rng() % catalog.skus.size()];
    bool duplicate = false;
    for (const auto& line : shape.lines) duplicate = duplicate || line.first == sku;
    if (!duplicate) shape.lines.emplace_back(sku, 1 + static_cast<int>(rng() % 3));
  }
  shape.region = kRegions[rng() % 10];
  shape.channel = static_cast<shop::Channel>(rng() % 6);
  return shape;
}

commands::CommandEnvelope order_command(const std::string& id, const OrderShape& shape) {
  commands::CommandEnvelope c;
  c.command_id = "bench-" + id;
  c.actor = "bench";
  shop::PlaceOrderT order;
  order.order_id = id;
  order.customer_id = "c" + id;
  order.channel = shape.channel;
  order.region = shape.region;
  for (const auto& [sku, quantity] : shape.lines) {
    auto line = std::make_unique<shop::OrderLineRequestT>();
    line->sku_id = sku;
    line->quantity = quantity;
    line->unit_price = bench_list_price(sku);
    order.lines.push_back(std::move(line));
  }
  order.shipping_fee = 800;
  c.body.Set(std::move(order));
  return c;
}

void must(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

}  // namespace

std::int64_t bench_list_price(const std::string& sku) {
  std::int64_t n = 0;
  const std::size_t dash = sku.rfind('-');
  if (dash != std::string::npos) std::from_chars(sku.data() + dash + 1, sku.data() + sku.size(), n);
  return 9900 + 1000 * n;
}

Catalog set_up_bench_shop(commands::CommandHandler& handler, int products) {
  Catalog catalog;
  for (commands::CommandEnvelope& c : commands::configured_registrations(handler.config())) {
    must(handler.handle(c).ok(), "registration");
  }
  for (int p = 0; p < products; ++p) {
    shop::ListProductT listing;
    listing.product_id = "p" + std::to_string(p);
    listing.title = "Bench product " + std::to_string(p);
    listing.category = "digital/audio/headphones";
    for (const char* name : {"connectivity", "battery_hours", "noise_cancelling", "warranty_months", "brand"}) {
      auto a = std::make_unique<shop::AttributeT>();
      a->name = name;
      a->value = "x";
      listing.attributes.push_back(std::move(a));
    }
    const int skus = 1 + p % 4;
    for (int s = 0; s < skus; ++s) {
      auto sku = std::make_unique<shop::SkuSpecT>();
      sku->sku_id = listing.product_id + "-" + std::to_string(s);
      sku->list_price = bench_list_price(sku->sku_id);
      sku->cost_price = 5000;
      catalog.skus.push_back(sku->sku_id);
      listing.skus.push_back(std::move(sku));
    }
    commands::CommandEnvelope c;
    c.command_id = "bench-list-" + listing.product_id;
    c.actor = "bench";
    c.body.Set(std::move(listing));
    auto listed = handler.handle(c);
    must(listed.ok(), listed.ok() ? "" : listed.error().to_string());
  }
  for (const std::string& sku : catalog.skus) {
    for (const domain::WarehouseConfig& w : handler.config().warehouses) {
      commands::CommandEnvelope c;
      c.command_id = "bench-stock-" + sku + "-" + w.id;
      c.actor = "bench";
      shop::ReceiveStockT receive;
      receive.sku_id = sku;
      receive.warehouse_id = w.id;
      receive.quantity = 10'000'000;
      receive.unit_cost = 5000;
      c.body.Set(std::move(receive));
      must(handler.handle(c).ok(), "receive stock");
    }
  }
  return catalog;
}

namespace {

template <typename Submit>
RunFigures drive(int submitters, double seconds, Submit submit) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> done{0}, refused{0};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(submitters));
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < submitters; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<std::uint64_t>(t) * 7919 + 1);
      for (std::uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        const auto begin = Clock::now();
        const bool ok = submit(rng, fmt::format("{}-{}", t, n));
        latencies[static_cast<std::size_t>(t)].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - begin).count());
        (ok ? done : refused).fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& thread : threads) thread.join();
  RunFigures figures;
  figures.orders_per_second =
      static_cast<double>(done.load()) / std::chrono::duration<double>(Clock::now() - start).count();
  figures.refused = refused.load();
  for (auto& per_thread : latencies) figures.latencies_us.insert(figures.latencies_us.end(), per_thread.begin(), per_thread.end());
  return figures;
}

RunFigures run_handler(const fs::path& dir, const BenchOrdersArgs& args) {
  auto opened = store::EventStore::open(dir.string());
  must(opened.ok(), opened.ok() ? "" : opened.error().to_string());
  commands::CommandHandler handler(**opened, domain::default_config());
  const Catalog catalog = set_up_bench_shop(handler, args.products);
  const auto before = handler.stats();
  RunFigures figures = drive(args.submitters, args.seconds, [&](std::mt19937_64& rng, const std::string& id) {
    auto outcome = handler.handle(order_command("o" + id, draw_order(rng, catalog)));
    return outcome.ok();
  });
  figures.conflicts = handler.stats().conflicts - before.conflicts;
  return figures;
}

// The same events appended directly: one OrderPlaced and one StockReserved
// per line, payloads encoded once up front, expected version any.
RunFigures run_raw(const fs::path& dir, const BenchOrdersArgs& args, const Catalog& catalog) {
  auto opened = store::EventStore::open(dir.string());
  must(opened.ok(), opened.ok() ? "" : opened.error().to_string());
  store::EventStore& log = **opened;
  shop::OrderPlacedT placed;
  placed.order_id = "o";
  for (int i = 0; i < 2; ++i) {
    auto line = std::make_unique<shop::OrderLineT>();
    line->sku_id = "p1-1";
    line->quantity = 2;
    line->unit_price = 9900;
    placed.lines.push_back(std::move(line));
  }
  shop::EventBodyUnion placed_event;
  placed_event.Set(std::move(placed));
  const std::string placed_payload = domain::encode_event(placed_event);
  shop::StockReservedT reserved;
  reserved.order_id = "o";
  reserved.sku_id = "p1-1";
  reserved.allocations.push_back(std::make_unique<shop::AllocationT>());
  shop::EventBodyUnion reserved_event;
  reserved_event.Set(std::move(reserved));
  const std::string reserved_payload = domain::encode_event(reserved_event);

  return drive(args.submitters, args.seconds, [&](std::mt19937_64& rng, const std::string& id) {
    const OrderShape shape = draw_order(rng, catalog);
    store::AppendRequest request;
    request.command_id = "raw-" + id;
    request.actor = "bench";
    const std::string order = domain::order_stream("o" + id);
    request.expectations.push_back({order, store::ExpectedVersion::no_stream()});
    request.events.push_back({order, "OrderPlaced", placed_payload, 1, 0, {}, ""});
    for (const auto& [sku, quantity] : shape.lines) {
      const std::string stock = domain::stock_stream(sku);
      request.expectations.push_back({stock, store::ExpectedVersion::any()});
      request.events.push_back({stock, "StockReserved", reserved_payload, 1, 0, {}, ""});
    }
    return log.append(std::move(request)).ok();
  });
}

}  // namespace

int run_bench_orders(const BenchOrdersArgs& args) {
  std::vector<double> handler_runs, raw_runs, latencies;
  std::uint64_t conflicts = 0, refused = 0;
  try {
    BenchDirs dirs(args.work_dir, "orders");
    for (int r = 0; r < args.repeats; ++r) {
      const fs::path handler_dir = dirs.fresh("handler");
      const fs::path raw_dir = dirs.fresh("raw");
      RunFigures handled = run_handler(handler_dir, args);
      handler_runs.push_back(handled.orders_per_second);
      latencies.insert(latencies.end(), handled.latencies_us.begin(), handled.latencies_us.end());
      conflicts += handled.conflicts;
      refused += handled.refused;
      Catalog catalog;
      for (int p = 0; p < args.products; ++p) {
        for (int s = 0; s < 1 + p % 4; ++s) catalog.skus.push_back(fmt::format("p{}-{}", p, s));
      }
      raw_runs.push_back(run_raw(raw_dir, args, catalog).orders_per_second);
      fmt::print(stderr, "  run {}: handler {:.0f} orders/s ({} conflicts retried, {} refused), raw {:.0f} orders/s\n", r + 1,
                 handled.orders_per_second, handled.conflicts, handled.refused, raw_runs.back());
      fs::remove_all(handler_dir);
      fs::remove_all(raw_dir);
    }
  } catch (const std::exception& error) {
    fmt::print(stderr, "error: {}\n", error.what());
    return kExitIoError;
  }
  std::sort(latencies.begin(), latencies.end());
  const double handler_rate = median(handler_runs), raw_rate = median(raw_runs);
  const double ratio = raw_rate > 0 ? handler_rate / raw_rate : 0;
  const double p50 = percentile(latencies, 0.5), p99 = percentile(latencies, 0.99);
  const bool met = handler_rate >= args.target_orders_per_second;
  if (args.json) {
    fmt::print("{}\n", nlohmann::json{{"submitters", args.submitters},
                                      {"orders_per_second", handler_rate},
                                      {"raw_orders_per_second", raw_rate},
                                      {"ratio", ratio},
                                      {"latency_p50_us", p50},
                                      {"latency_p99_us", p99},
                                      {"conflicts", conflicts},
                                      {"refused", refused},
                                      {"target_orders_per_second", args.target_orders_per_second},
                                      {"met", met}}
                           .dump(2));
  } else {
    fmt::print("spine bench orders: {} submitters, {} products, {} s per run, median of {} runs\n", args.submitters,
               args.products, args.seconds, args.repeats);
    fmt::print("{:<44} {:>12} {:>12} {:>7}\n", "measure", "handler", "raw append", "ratio");
    fmt::print("{:<44} {:>12.0f} {:>12.0f} {:>7.2f}\n", "place-order, durable (orders/s)", handler_rate, raw_rate, ratio);
    fmt::print("latency: p50 {:.0f} us, p99 {:.0f} us; target {:.0f} orders/s {}\n", p50, p99,
               args.target_orders_per_second, met ? "met" : "(below)");
  }
  return (args.check && !met) ? kExitBelowTarget : kExitOk;
}

}  // namespace spine::cli

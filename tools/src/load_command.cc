// `spine load --data DIR`: fills a store (stopped, or new) with a realistic
// shop from the generator (tools/load/shop_generator.h), every step through
// the command handler like a user's command.
#include <fmt/core.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "shop_generator.h"
#include "spine/commands/command_handler.h"

namespace spine::cli {

int run_load(const LoadArgs& args) {
  auto opened = store::EventStore::open(args.data_dir);
  if (!opened) {
    fmt::print(stderr, "error: cannot open the store in {}: {}\n", args.data_dir, opened.error().to_string());
    return kExitIoError;
  }
  commands::CommandHandler handler(**opened, domain::default_config());
  load::LoadOptions options;
  options.seed = args.seed;
  options.orders = args.orders;
  options.products = args.products;
  options.orders_per_day = args.orders_per_day;
  options.id_prefix = args.id_prefix;
  for (commands::CommandEnvelope registration : commands::configured_registrations(handler.config())) {
    registration.occurred_at_us = options.start_us;  // simulated time: the same log on every run
    if (auto done = handler.handle(registration); !done) {
      fmt::print(stderr, "error: registering {}: {}\n", registration.command_id, done.error().to_string());
      return kExitIoError;
    }
  }
  const auto started = std::chrono::steady_clock::now();
  fmt::print(stderr, "loading {} orders (seed {}) into {}...\n", args.orders, args.seed, args.data_dir);
  auto figures = load::generate_shop(handler, options);
  if (!figures) {
    fmt::print(stderr, "error: {}\n", figures.error().to_string());
    return kExitIoError;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::uint64_t head = (*opened)->head().position;
  if (args.json) {
    fmt::print("{}\n", nlohmann::json{{"commands", figures->commands}, {"accepted", figures->accepted},
                                      {"refused", figures->refused}, {"head_position", head},
                                      {"first_occurred_at_us", figures->first_us},
                                      {"last_occurred_at_us", figures->last_us}, {"seconds", seconds}}
                           .dump());
  } else {
    fmt::print("{} commands ({} accepted, {} refused by the shop's rules), head position {}, {:.1f} s ({:.0f} commands/s)\n",
               figures->commands, figures->accepted, figures->refused, head, seconds, figures->commands / seconds);
  }
  return kExitOk;
}

}  // namespace spine::cli

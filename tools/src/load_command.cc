// `spine load`: fills a store with a realistic shop from the generator
// (tools/load/shop_generator.h), every step a command like a user's: through
// the command handler of a store (--data; stopped, or new), or through the
// HTTP API of a running Spine (--url, with an admin token).
#include <fmt/core.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "http_port.h"
#include "shop_generator.h"
#include "spine/commands/command_handler.h"

namespace spine::cli {

namespace {

load::LoadOptions load_options(const LoadArgs& args) {
  load::LoadOptions options;
  options.seed = args.seed;
  options.orders = args.orders;
  options.products = args.products;
  options.orders_per_day = args.orders_per_day;
  options.id_prefix = args.id_prefix;
  return options;
}

int report(const LoadArgs& args, const load::LoadFigures& figures, std::uint64_t head, double seconds) {
  if (args.json) {
    fmt::print("{}\n", nlohmann::json{{"commands", figures.commands}, {"accepted", figures.accepted},
                                      {"refused", figures.refused}, {"deadlines", figures.deadlines},
                                      {"head_position", head},
                                      {"first_occurred_at_us", figures.first_us},
                                      {"last_occurred_at_us", figures.last_us}, {"seconds", seconds}}
                           .dump());
  } else {
    fmt::print("{} commands ({} accepted, {} refused by the shop's rules), {} deadlines recorded, head position {}, "
               "{:.1f} s ({:.0f} commands/s)\n",
               figures.commands, figures.accepted, figures.refused, figures.deadlines, head, seconds,
               figures.commands / seconds);
  }
  return kExitOk;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int load_over_http(const LoadArgs& args) {
  load::HttpPortOptions options;
  options.url = args.url;
  options.token = args.token;
  if (options.token.empty()) {
    if (const char* from_env = std::getenv("SPINE_TOKEN")) options.token = from_env;
  }
  if (options.token.empty()) {
    fmt::print(stderr, "error: --url needs an admin token: --token or SPINE_TOKEN\n");
    return kExitUsage;
  }
  auto config = load_config_file(args.config_path);
  if (!config) {
    fmt::print(stderr, "error: {}\n", config.error().to_string());
    return kExitUsage;
  }
  auto port = load::HttpPort::connect(options, std::move(*config));
  if (!port) {
    fmt::print(stderr, "error: {}\n", port.error().to_string());
    return port.error().code == "invalid_argument" ? kExitUsage : kExitIoError;
  }
  const auto started = std::chrono::steady_clock::now();
  fmt::print(stderr, "loading {} orders (seed {}) into {}...\n", args.orders, args.seed, args.url);
  auto figures = load::generate_shop(**port, load_options(args));
  if (!figures) {
    fmt::print(stderr, "error: {}\n", figures.error().to_string());
    return kExitIoError;
  }
  const double seconds = seconds_since(started);
  auto head = (*port)->head_position();
  if (!head) {
    fmt::print(stderr, "error: {}\n", head.error().to_string());
    return kExitIoError;
  }
  return report(args, *figures, *head, seconds);
}

int load_into_store(const LoadArgs& args) {
  auto config = load_config_file(args.config_path);
  if (!config) {
    fmt::print(stderr, "error: {}\n", config.error().to_string());
    return kExitUsage;
  }
  std::error_code ignored;
  std::filesystem::create_directories(args.data_dir, ignored);  // the store makes only its last folder
  store::Options store_options;
  store_options.sync = !args.no_sync;
  auto opened = store::EventStore::open(args.data_dir, store_options);
  if (!opened) {
    fmt::print(stderr, "error: cannot open the store in {}: {}\n", args.data_dir, opened.error().to_string());
    return kExitIoError;
  }
  commands::CommandHandler handler(**opened, std::move(*config));
  const auto started = std::chrono::steady_clock::now();
  fmt::print(stderr, "loading {} orders (seed {}) into {}...\n", args.orders, args.seed, args.data_dir);
  auto figures = load::generate_shop(handler, load_options(args));
  if (!figures) {
    fmt::print(stderr, "error: {}\n", figures.error().to_string());
    return kExitIoError;
  }
  return report(args, *figures, (*opened)->head().position, seconds_since(started));
}

}  // namespace

int run_load(const LoadArgs& args) { return args.url.empty() ? load_into_store(args) : load_over_http(args); }

}  // namespace spine::cli

// A realistic shop generator (`spine load`, tests, benchmarks, `tools/run`):
// products in every configured category, own and dropship stock, and orders
// drawn from the handbook figures of domain.md §4 (region shares with East
// China over 35 %, 65 % mobile, evening peak 20:00-22:00, members buying
// more often, returns by rating band, a dropship share), taken through
// payment, forwarding, shipping, delivery, returns and refunds, with supplier
// stock syncs, restocks, price changes (one bulk change), spend and traffic.
// Every step is a command through the CommandHandler, like a user's, with
// simulated occurred-at times in order. The same seed and options give the
// same commands (ids, bodies, times).
#pragma once

#include <cstdint>
#include <string>

#include "spine/commands/command_handler.h"

namespace spine::load {

struct LoadOptions {
  std::uint64_t seed = 7;
  int orders = 1000;
  int products = 24;
  int orders_per_day = 400;
  std::int64_t start_us = 1'759'248'000'000'000;  // 2025-10-01T00:00+08:00
  std::string id_prefix = "load";                 // command ids "<prefix>:<n>", entity ids use it too
};

struct LoadFigures {
  std::uint64_t commands = 0, accepted = 0, refused = 0;
  std::int64_t first_us = 0, last_us = 0;  // simulated time covered
};

// Stops at the first store error (I/O, disk full); business refusals (an
// order that would oversell, a late refund) are counted, as in a real shop.
Result<LoadFigures> generate_shop(commands::CommandHandler& handler, const LoadOptions& options);

}  // namespace spine::load

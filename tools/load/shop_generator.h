// A realistic shop generator (`spine load`, tests, benchmarks, `tools/run`):
// products in every configured category, own and dropship stock, and orders
// drawn from the handbook figures of domain.md §4 (region shares with East
// China over 35 %, 65 % mobile, evening peak 20:00-22:00, members buying
// more often, returns by rating band, a dropship share), taken through
// payment, forwarding, shipping, delivery, returns and refunds, with supplier
// stock syncs, restocks, price changes (one bulk change), spend and traffic.
// Every step is a command through the CommandHandler, like a user's, with
// simulated occurred-at times in order; into a local store, the generator
// also records deadlines (supplier or own warehouse late to ship, supplier
// stock gone stale, a bulk price change window ended) when they fall due in
// simulated time. The same seed and options give the
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

// Where the generator's commands go: a local store's CommandHandler, or a
// running Spine over HTTP (`spine load --url`). Either way the same rules
// decide; the generator reads back the few states it needs through it.
class CommandPort {
 public:
  virtual ~CommandPort() = default;
  virtual const domain::Config& config() const = 0;
  // One command; a refusal is the domain's Error (code, field, rule).
  virtual Status handle(const commands::CommandEnvelope& envelope) = 0;
  virtual Result<domain::StreamState> current_state(const std::string& stream_id) = 0;
  // True when the generator records deadlines as they fall due in simulated
  // time; a running server's deadline service records its own.
  virtual bool records_deadlines() const { return true; }
};

// The port of a local store.
class HandlerPort final : public CommandPort {
 public:
  explicit HandlerPort(commands::CommandHandler& handler) : handler_(handler) {}
  const domain::Config& config() const override { return handler_.config(); }
  Status handle(const commands::CommandEnvelope& envelope) override {
    auto outcome = handler_.handle(envelope);
    if (!outcome.ok()) return outcome.error();
    return ok_status();
  }
  Result<domain::StreamState> current_state(const std::string& stream_id) override {
    return handler_.current_state(stream_id);
  }

 private:
  commands::CommandHandler& handler_;
};

struct LoadFigures {
  std::uint64_t commands = 0, accepted = 0, refused = 0;  // the shop's commands
  std::uint64_t deadlines = 0;                             // deadlines recorded (a local store only)
  std::int64_t first_us = 0, last_us = 0;  // simulated time covered
};

// Stops at the first store error (I/O, disk full); business refusals (an
// order that would oversell, a late refund) are counted, as in a real shop.
// The configured suppliers and warehouses are registered first (at
// options.start_us, idempotent by command id).
Result<LoadFigures> generate_shop(CommandPort& port, const LoadOptions& options);
Result<LoadFigures> generate_shop(commands::CommandHandler& handler, const LoadOptions& options);

}  // namespace spine::load

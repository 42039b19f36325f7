// A small, deterministic sample shop for `spine serve --sample-orders N` and
// tests: a few products (own stock and dropship), stock in every configured
// warehouse, and N orders taken through payment, shipping and delivery, with
// some cancellations and a return. Every step goes through the command
// handler, like a user's command. (The full generator is `spine load`, issue 7.)
#pragma once

#include <cstdint>

#include "spine/commands/command_handler.h"

namespace spine::cli {

struct SampleFigures {
  int commands = 0;
  int refused = 0;
};

// Command ids are "sample:<n>", so loading the sample twice appends nothing new.
Result<SampleFigures> load_sample_shop(commands::CommandHandler& handler, int orders, std::uint64_t seed);

}  // namespace spine::cli

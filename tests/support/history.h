// A generated shop history in a real store, decoded once for the
// projection tests (the naive recomputations walk `events`).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shop_generator.h"
#include "spine/commands/command_handler.h"
#include "spine/domain/events.h"
#include "support/test_support.h"

namespace spine::testing {

struct HistoryEvent {
  std::uint64_t position = 0;
  std::int64_t occurred_at_us = 0, recorded_at_us = 0;
  std::string stream, actor, type;
  shop::EventBodyUnion body;
};

// Generates `orders` orders of the shop generator into `dir` (no fsync: a test).
inline std::unique_ptr<store::EventStore> generate_history(const std::string& dir, int orders, std::uint64_t seed = 11) {
  store::Options options;
  options.sync = false;
  auto store = open_store(dir, options);
  commands::CommandHandler handler(*store, domain::default_config());
  load::LoadOptions load;
  load.orders = orders;
  load.seed = seed;
  auto generated = load::generate_shop(handler, load);
  if (!generated.ok()) throw std::runtime_error(generated.error().to_string());
  return store;
}

inline std::vector<HistoryEvent> read_history(const store::EventStore& store) {
  std::vector<HistoryEvent> out;
  Status s = store::for_each_record(store, 1, 0, [&](const store::RecordView& r) {
    auto body = domain::decode_event(r.payload(), r.event_type());
    if (!body.ok()) return Status(body.error());
    out.push_back(HistoryEvent{r.position(), r.occurred_at_us(), r.recorded_at_us(), std::string(r.stream_id()),
                               std::string(r.actor()), std::string(r.event_type()), std::move(body).value()});
    return ok_status();
  });
  if (!s.ok()) throw std::runtime_error(s.error().to_string());
  return out;
}

}  // namespace spine::testing

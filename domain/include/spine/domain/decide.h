// decide: turns a command into events or a refusal, given the current state
// of the streams the command reads. Pure and deterministic: the same command,
// states, configuration and clock give the same answer.
//
// Use: ask `streams_to_read` which streams the command depends on, load them
// into a LoadedStreams (an absent stream is loaded as version 0), repeat until
// it asks for nothing new (a command may need streams named by the state of
// others, e.g. an order's SKUs), then call `decide`. Every refusal is an
// Error with a stable code and the offending field (docs/events.md lists them).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "spine/domain/config.h"
#include "spine/domain/events.h"
#include "spine/domain/state.h"

namespace spine::domain {

// The states a decision reads, by stream id.
class LoadedStreams {
 public:
  void put(const std::string& stream_id, StreamState state) { streams_[stream_id] = std::move(state); }
  bool contains(const std::string& stream_id) const { return streams_.contains(stream_id); }
  const StreamState* find(const std::string& stream_id) const;
  const std::map<std::string, StreamState>& all() const { return streams_; }

  // Typed views; a stream that is loaded but empty yields an empty state
  // (exists == false). Asserts that the stream was loaded.
  const ProductState& product(std::string_view product_id) const;
  const StockState& stock(std::string_view sku_id) const;
  const OrderState& order(std::string_view order_id) const;
  const SupplierState& supplier(std::string_view supplier_id) const;
  const WarehouseState& warehouse(std::string_view warehouse_id) const;

 private:
  template <typename S>
  const S& typed(const std::string& stream_id) const;
  std::map<std::string, StreamState> streams_;
};

struct EmittedEvent {
  std::string stream_id;
  shop::EventBodyUnion event;
};

struct Decision {
  std::vector<EmittedEvent> events;
};

// The streams `command` reads that are not yet in `loaded` (empty: ready).
std::vector<std::string> streams_to_read(const shop::CommandBodyUnion& command, const LoadedStreams& loaded);

// Decides `command` at time `now_us` (UTC microseconds).
Result<Decision> decide(const shop::CommandBodyUnion& command, const LoadedStreams& loaded, const Config& config,
                        std::int64_t now_us);

}  // namespace spine::domain

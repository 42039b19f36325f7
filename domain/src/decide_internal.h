// Shared helpers of the decide_*.cc files (not a public header).
#pragma once

#include <string>
#include <utility>

#include "spine/domain/decide.h"
#include "spine/domain/streams.h"

namespace spine::domain::detail {

// Largest amount accepted in one money field: 10^12 fen (10 billion yuan),
// so that sums over an order's lines cannot overflow 64 bits.
constexpr std::int64_t kMaxAmount = 1'000'000'000'000;

template <typename T>
void emit(Decision& decision, std::string stream_id, T&& event) {
  EmittedEvent emitted;
  emitted.stream_id = std::move(stream_id);
  emitted.event.Set(std::forward<T>(event));
  decision.events.push_back(std::move(emitted));
}

Status check_quantity(std::int64_t quantity, const std::string& field, std::int64_t max);
Status check_amount(std::int64_t amount, const std::string& field, bool allow_zero);
Error refuse(std::string code, std::string field, std::string message);

struct Context {
  const LoadedStreams& loaded;
  const Config& config;
  std::int64_t now_us;
};

// A valid id of a listed SKU (its stock stream must be loaded); field "sku_id".
Status check_listed_sku(const std::string& sku_id, const Context& ctx);

// Streams each command family reads (see decide.h, streams_to_read).
void catalog_streams(const shop::CommandBodyUnion& command, const LoadedStreams& loaded, std::vector<std::string>& out);
void stock_streams(const shop::CommandBodyUnion& command, const LoadedStreams& loaded, std::vector<std::string>& out);
void order_streams(const shop::CommandBodyUnion& command, const LoadedStreams& loaded, std::vector<std::string>& out);

Result<Decision> decide_catalog(const shop::CommandBodyUnion& command, const Context& context);
Result<Decision> decide_stock(const shop::CommandBodyUnion& command, const Context& context);
Result<Decision> decide_orders(const shop::CommandBodyUnion& command, const Context& context);
Result<Decision> decide_returns(const shop::CommandBodyUnion& command, const Context& context);
Result<Decision> decide_deadline(const shop::RecordDeadlineT& command, const Context& context);

}  // namespace spine::domain::detail

// Stream naming: every aggregate instance is one stream of the log, named
// "<kind>-<id>" (docs/events.md, "Streams"). Ids are 1-64 characters of
// [A-Za-z0-9._:-].
#pragma once

#include <string>
#include <string_view>

#include "spine/result.h"

namespace spine::domain {

enum class StreamKind { kProduct, kStock, kOrder, kSupplier, kWarehouse, kMarketing, kDeadline, kUnknown };

std::string product_stream(std::string_view product_id);
std::string stock_stream(std::string_view sku_id);
std::string order_stream(std::string_view order_id);
std::string supplier_stream(std::string_view supplier_id);
std::string warehouse_stream(std::string_view warehouse_id);
std::string marketing_stream(std::string_view channel_name);

StreamKind stream_kind(std::string_view stream_id);
std::string_view stream_kind_name(StreamKind kind);  // "product", "stock", ...

constexpr std::size_t kMaxIdLength = 64;
bool is_valid_id(std::string_view id);
// Error "required" (empty) or "invalid_id" naming `field`.
Status check_id(std::string_view id, const std::string& field);

}  // namespace spine::domain

#include "spine/domain/streams.h"

namespace spine::domain {

std::string product_stream(std::string_view id) { return "product-" + std::string(id); }
std::string stock_stream(std::string_view id) { return "stock-" + std::string(id); }
std::string order_stream(std::string_view id) { return "order-" + std::string(id); }
std::string supplier_stream(std::string_view id) { return "supplier-" + std::string(id); }
std::string warehouse_stream(std::string_view id) { return "warehouse-" + std::string(id); }
std::string marketing_stream(std::string_view channel) { return "marketing-" + std::string(channel); }

StreamKind stream_kind(std::string_view stream_id) {
  struct Prefix { std::string_view text; StreamKind kind; };
  static constexpr Prefix kPrefixes[] = {
      {"product-", StreamKind::kProduct},     {"stock-", StreamKind::kStock},
      {"order-", StreamKind::kOrder},         {"supplier-", StreamKind::kSupplier},
      {"warehouse-", StreamKind::kWarehouse}, {"marketing-", StreamKind::kMarketing},
      {"deadline-", StreamKind::kDeadline},
  };
  for (const Prefix& prefix : kPrefixes) {
    if (stream_id.starts_with(prefix.text)) return prefix.kind;
  }
  return StreamKind::kUnknown;
}

std::string_view stream_kind_name(StreamKind kind) {
  switch (kind) {
    case StreamKind::kProduct: return "product";
    case StreamKind::kStock: return "stock";
    case StreamKind::kOrder: return "order";
    case StreamKind::kSupplier: return "supplier";
    case StreamKind::kWarehouse: return "warehouse";
    case StreamKind::kMarketing: return "marketing";
    case StreamKind::kDeadline: return "deadline";
    case StreamKind::kUnknown: break;
  }
  return "unknown";
}

bool is_valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

Status check_id(std::string_view id, const std::string& field) {
  if (id.empty()) return Error{"required", field, field + " is required"};
  if (!is_valid_id(id)) {
    return Error{"invalid_id", field, field + " must be 1-64 characters of letters, digits, '-', '_', '.' or ':'"};
  }
  return ok_status();
}

}  // namespace spine::domain

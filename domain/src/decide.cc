// decide: dispatch by command family, and LoadedStreams (see decide.h).
#include <algorithm>
#include <cassert>

#include "decide_internal.h"

namespace spine::domain {

namespace detail {

Error refuse(std::string code, std::string field, std::string message) {
  return Error{std::move(code), std::move(field), std::move(message)};
}

Status check_quantity(std::int64_t quantity, const std::string& field, std::int64_t max) {
  if (quantity <= 0 || quantity > max) {
    return refuse("invalid_quantity", field,
                  field + " is " + std::to_string(quantity) + "; it must be between 1 and " + std::to_string(max));
  }
  return ok_status();
}

Status check_amount(std::int64_t amount, const std::string& field, bool allow_zero) {
  if (amount < 0 || (!allow_zero && amount == 0) || amount > kMaxAmount) {
    return refuse("invalid_amount", field,
                  field + " is " + std::to_string(amount) + " fen; it must be " + (allow_zero ? "0" : "1") + " to " +
                      std::to_string(kMaxAmount) + " fen");
  }
  return ok_status();
}

}  // namespace detail

const StreamState* LoadedStreams::find(const std::string& stream_id) const {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : &it->second;
}

template <typename S>
const S& LoadedStreams::typed(const std::string& stream_id) const {
  static const S kEmpty{};
  const StreamState* stream = find(stream_id);
  assert(stream != nullptr && "decide read a stream that streams_to_read did not ask for");
  if (stream == nullptr || !std::holds_alternative<S>(stream->state)) return kEmpty;
  return std::get<S>(stream->state);
}

const ProductState& LoadedStreams::product(std::string_view id) const { return typed<ProductState>(product_stream(id)); }
const StockState& LoadedStreams::stock(std::string_view id) const { return typed<StockState>(stock_stream(id)); }
const OrderState& LoadedStreams::order(std::string_view id) const { return typed<OrderState>(order_stream(id)); }
const SupplierState& LoadedStreams::supplier(std::string_view id) const {
  return typed<SupplierState>(supplier_stream(id));
}
const WarehouseState& LoadedStreams::warehouse(std::string_view id) const {
  return typed<WarehouseState>(warehouse_stream(id));
}

std::vector<std::string> streams_to_read(const shop::CommandBodyUnion& command, const LoadedStreams& loaded) {
  std::vector<std::string> wanted;
  detail::catalog_streams(command, loaded, wanted);
  detail::stock_streams(command, loaded, wanted);
  detail::order_streams(command, loaded, wanted);
  std::vector<std::string> missing;
  for (std::string& stream : wanted) {
    // A malformed id is refused by decide; there is no stream to read for it.
    const std::size_t dash = stream.find('-');
    if (dash == std::string::npos || !is_valid_id(std::string_view(stream).substr(dash + 1))) continue;
    if (!loaded.contains(stream) && std::find(missing.begin(), missing.end(), stream) == missing.end()) {
      missing.push_back(std::move(stream));
    }
  }
  return missing;
}

Result<Decision> decide(const shop::CommandBodyUnion& command, const LoadedStreams& loaded, const Config& config,
                        std::int64_t now_us) {
  const detail::Context context{loaded, config, now_us};
  using shop::CommandBody;
  switch (command.type) {
    case CommandBody::RegisterSupplier:
    case CommandBody::RegisterWarehouse:
    case CommandBody::ListProduct:
    case CommandBody::UpdateProduct:
    case CommandBody::DelistProduct:
    case CommandBody::RelistProduct:
    case CommandBody::ChangePrices:
      return detail::decide_catalog(command, context);
    case CommandBody::ReceiveStock:
    case CommandBody::AdjustStock:
    case CommandBody::TransferStock:
    case CommandBody::ReceiveTransfer:
    case CommandBody::SyncSupplierStock:
      return detail::decide_stock(command, context);
    case CommandBody::PlaceOrder:
    case CommandBody::PayOrder:
    case CommandBody::FailPayment:
    case CommandBody::CancelOrder:
    case CommandBody::ForwardDropship:
    case CommandBody::AcknowledgeDropship:
    case CommandBody::ShipOrder:
    case CommandBody::DeliverOrder:
      return detail::decide_orders(command, context);
    case CommandBody::RequestReturn:
    case CommandBody::ApproveReturn:
    case CommandBody::RejectReturn:
    case CommandBody::ReceiveReturn:
    case CommandBody::IssueRefund:
    case CommandBody::RecordSpend:
    case CommandBody::RecordTraffic:
      return detail::decide_returns(command, context);
    case CommandBody::RecordDeadline:
      return detail::decide_deadline(*command.AsRecordDeadline(), context);
    case CommandBody::NONE:
      break;
  }
  return detail::refuse("unknown_command", "command", "the command has no body");
}

}  // namespace spine::domain

// AlertProjection's price-ladder alert: `cheapest_sku_out_of_stock` for a
// product on sale whose cheapest SKU (lowest current price; any of them on a
// tie) has nothing sellable while another SKU has stock, the state the
// listing rule refuses (domain/src/rules.cc, check_price_ladder) reached
// later by sales, stock movements or price changes. Judged after every stock
// change of one of the product's SKUs, a price change, a delisting and a
// relisting; cleared when the ladder is right again or the product leaves sale.
#include <algorithm>
#include <string>

#include "rows.h"
#include "spine/projections/alerts.h"
#include "stock_book.h"

namespace spine::projections {

namespace {
constexpr const char* kCheapestOut = "cheapest_sku_out_of_stock";
}  // namespace

void AlertProjection::ladder_listed(const shop::ProductListedT& e, const EventContext& context) {
  auto& ladder = ladders_->write(e.product_id);
  ladder.clear();
  for (const auto& sku : e.skus) ladder.emplace_back(sku->sku_id, sku->list_price);
  check_cheapest(e.product_id, context);
}

void AlertProjection::ladder_price_changed(const shop::PriceChangedT& e, const EventContext& context) {
  if (!ladders_->contains(e.product_id)) return;
  for (auto& [sku, price] : ladders_->write(e.product_id)) {
    if (sku == e.sku_id) price = e.new_price;
  }
  check_cheapest(e.product_id, context);
}

void AlertProjection::check_cheapest(const std::string& product, const EventContext& context) {
  const auto* ladder = ladders_->find(product);
  if (ladder == nullptr || ladder->empty()) return;
  std::int64_t low = ladder->front().second;
  for (const auto& [sku, price] : *ladder) low = std::min(low, price);
  bool listed = true, any_stock = false, cheapest_stock = false;
  for (const auto& [sku, price] : *ladder) {
    const internal::SkuLevels* levels = book_->find(sku);
    const std::int64_t sellable =
        levels == nullptr ? 0 : levels->stock.available() + levels->stock.supplier_available();
    if (levels != nullptr) listed = listed && book_->listed(*levels);
    any_stock = any_stock || sellable > 0;
    if (price == low) cheapest_stock = cheapest_stock || sellable > 0;
  }
  if (!listed || !any_stock || cheapest_stock) {
    clear(kCheapestOut, product, context.occurred_at_us(), context.position());
  } else if (!active(kCheapestOut, product)) {  // the detail is built only for a new alert
    std::string cheapest;
    for (const auto& [sku, price] : *ladder) {
      if (price == low) cheapest += (cheapest.empty() ? "" : ", ") + sku;
    }
    raise(kCheapestOut, product, context.occurred_at_us(), context.position(),
          "the cheapest SKU (" + cheapest + ") has no stock while others do");
  }
}

}  // namespace spine::projections

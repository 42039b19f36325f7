// decide for the catalog: suppliers, warehouses, listings and prices.
#include <set>

#include "decide_internal.h"
#include "spine/domain/rules.h"
#include "spine/domain/text.h"

namespace spine::domain::detail {

namespace {

using Attributes = std::vector<std::pair<std::string, std::string>>;

Attributes attributes_of(const std::vector<std::unique_ptr<shop::AttributeT>>& in) {
  Attributes out;
  for (const auto& a : in) out.emplace_back(a ? a->name : "", a ? a->value : "");
  return out;
}

std::unique_ptr<shop::AttributeT> copy_attribute(const std::string& name, const std::string& value) {
  auto out = std::make_unique<shop::AttributeT>();
  out->name = name;
  out->value = value;
  return out;
}

// Well-formed attribute names and values, and no banned term in either
// (a buyer reads them on the product page as much as the title).
Status check_attributes(const Attributes& attributes, const std::string& field, const Config& config) {
  const RuleThresholds& rules = config.rules;
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    const std::string at = field + "[" + std::to_string(i) + "]";
    if (Status s = check_text(attributes[i].first, at + ".name", 64, true); !s) return s;
    if (Status s = check_text(attributes[i].second, at + ".value", static_cast<std::size_t>(rules.max_text_bytes), false); !s) return s;
    if (Status s = check_banned_words(attributes[i].first, at + ".name", config.banned_words); !s) return s;
    if (Status s = check_banned_words(attributes[i].second, at + ".value", config.banned_words); !s) return s;
  }
  return ok_status();
}

// The checks a listing passes at list, update and relist time.
Status check_listing_content(const std::string& title, const std::string& description, const std::string& category,
                             const Attributes& attributes, const Config& config) {
  const RuleThresholds& rules = config.rules;
  if (Status s = check_text(title, "title", static_cast<std::size_t>(rules.max_text_bytes), true); !s) return s;
  if (utf8_length(title) > static_cast<std::size_t>(rules.max_title_chars)) {
    return refuse("too_long", "title",
                  "title has " + std::to_string(utf8_length(title)) + " characters; the limit is " +
                      std::to_string(rules.max_title_chars));
  }
  if (Status s = check_text(description, "description", static_cast<std::size_t>(rules.max_text_bytes), false); !s) return s;
  if (Status s = check_banned_words(title, "title", config.banned_words); !s) return s;
  if (Status s = check_banned_words(description, "description", config.banned_words); !s) return s;
  Result<const CategoryConfig*> leaf = check_category(category, config);
  if (!leaf) return leaf.error();
  if (Status s = check_attributes(attributes, "attributes", config); !s) return s;
  return check_attribute_completeness(**leaf, attributes, rules.max_missing_attribute_ratio);
}

std::int64_t sellable(const StockState& stock) { return stock.available() + stock.supplier_available(); }

Result<Decision> list_product(const shop::ListProductT& c, const Context& ctx) {
  const RuleThresholds& rules = ctx.config.rules;
  if (Status s = check_id(c.product_id, "product_id"); !s) return s.error();
  if (ctx.loaded.product(c.product_id).exists) {
    return refuse("product_exists", "product_id", "product '" + c.product_id + "' is already listed");
  }
  const Attributes attributes = attributes_of(c.attributes);
  if (Status s = check_listing_content(c.title, c.description, c.category, attributes, ctx.config); !s) return s.error();
  if (Status s = check_video_length(c.main_video_seconds, rules); !s) return s.error();
  if (Status s = check_text(c.shipping_template, "shipping_template", 256, false); !s) return s.error();
  if (c.rating_tenths < 0 || c.rating_tenths > 50) {
    return refuse("invalid_rating", "rating_tenths", "rating_tenths is the rating x10, 0 (unrated) to 50");
  }
  if (!c.supplier_id.empty()) {
    if (Status s = check_id(c.supplier_id, "supplier_id"); !s) return s.error();
    if (!ctx.loaded.supplier(c.supplier_id).exists) {
      return refuse("unknown_supplier", "supplier_id", "supplier '" + c.supplier_id + "' is not registered");
    }
  }
  if (c.skus.empty()) return refuse("required", "skus", "a product needs at least one SKU");
  if (c.skus.size() > static_cast<std::size_t>(rules.max_skus_per_product)) {
    return refuse("too_many", "skus", "a product may have at most " + std::to_string(rules.max_skus_per_product) + " SKUs");
  }
  std::set<std::string> seen;
  std::vector<LadderSku> ladder;
  for (std::size_t i = 0; i < c.skus.size(); ++i) {
    const std::string at = "skus[" + std::to_string(i) + "]";
    const shop::SkuSpecT* sku = c.skus[i].get();
    if (sku == nullptr) return refuse("required", at, at + " is empty");
    if (Status s = check_id(sku->sku_id, at + ".sku_id"); !s) return s.error();
    if (!seen.insert(sku->sku_id).second) return refuse("duplicate_sku", at + ".sku_id", "SKU '" + sku->sku_id + "' appears twice");
    if (ctx.loaded.stock(sku->sku_id).exists) {
      return refuse("sku_exists", at + ".sku_id", "SKU '" + sku->sku_id + "' already belongs to a product");
    }
    if (Status s = check_amount(sku->list_price, at + ".list_price", false); !s) return s.error();
    if (Status s = check_amount(sku->cost_price, at + ".cost_price", true); !s) return s.error();
    if (sku->weight_grams < 0) return refuse("invalid_weight", at + ".weight_grams", "weight may not be negative");
    if (Status s = check_attributes(attributes_of(sku->spec), at + ".spec", ctx.config); !s) return s.error();
    ladder.push_back({sku->sku_id, sku->list_price, 0});
  }
  if (Status s = check_price_ladder(ladder, rules.max_price_spread); !s) return s.error();

  Decision decision;
  shop::ProductListedT listed;
  listed.product_id = c.product_id;
  listed.title = c.title;
  listed.description = c.description;
  listed.category = c.category;
  for (const auto& [name, value] : attributes) listed.attributes.push_back(copy_attribute(name, value));
  for (const auto& sku : c.skus) listed.skus.push_back(std::make_unique<shop::SkuSpecT>(*sku));
  listed.supplier_id = c.supplier_id;
  listed.shipping_template = c.shipping_template;
  listed.main_video_seconds = c.main_video_seconds;
  listed.rating_tenths = c.rating_tenths;
  emit(decision, product_stream(c.product_id), std::move(listed));
  for (const auto& sku : c.skus) {
    shop::SkuListedT sku_listed;
    sku_listed.sku_id = sku->sku_id;
    sku_listed.product_id = c.product_id;
    sku_listed.supplier_id = c.supplier_id;
    sku_listed.cost_price = sku->cost_price;
    emit(decision, stock_stream(sku->sku_id), std::move(sku_listed));
  }
  return decision;
}

Result<Decision> update_product(const shop::UpdateProductT& c, const Context& ctx) {
  if (Status s = check_id(c.product_id, "product_id"); !s) return s.error();
  const ProductState& product = ctx.loaded.product(c.product_id);
  if (!product.exists) return refuse("unknown_product", "product_id", "product '" + c.product_id + "' does not exist");
  if (c.title.empty() && c.description.empty() && c.category.empty() && c.attributes.empty() && c.rating_tenths == -1) {
    return refuse("nothing_to_update", "product",
                  "give at least one of title, description, category, attributes, rating_tenths");
  }
  if (c.rating_tenths < -1 || c.rating_tenths > 50) {
    return refuse("invalid_rating", "rating_tenths",
                  "rating_tenths is the rating x10, 0 (unrated) to 50, or -1 to leave it unchanged");
  }
  const Attributes attributes = c.attributes.empty() ? product.attributes : attributes_of(c.attributes);
  if (Status s = check_listing_content(c.title.empty() ? product.title : c.title,
                                       c.description.empty() ? product.description : c.description,
                                       c.category.empty() ? product.category : c.category, attributes, ctx.config);
      !s)
    return s.error();
  Decision decision;
  shop::ProductUpdatedT updated;
  updated.product_id = c.product_id;
  updated.title = c.title;
  updated.description = c.description;
  updated.category = c.category;
  updated.rating_tenths = c.rating_tenths;
  for (const auto& a : c.attributes) updated.attributes.push_back(copy_attribute(a->name, a->value));
  emit(decision, product_stream(c.product_id), std::move(updated));
  return decision;
}

Result<Decision> delist_product(const shop::DelistProductT& c, const Context& ctx) {
  if (Status s = check_id(c.product_id, "product_id"); !s) return s.error();
  const ProductState& product = ctx.loaded.product(c.product_id);
  if (!product.exists) return refuse("unknown_product", "product_id", "product '" + c.product_id + "' does not exist");
  if (!product.listed) return refuse("already_delisted", "product_id", "product '" + c.product_id + "' is not listed");
  if (Status s = check_text(c.reason, "reason", 1024, false); !s) return s.error();
  Decision decision;
  shop::ProductDelistedT delisted;
  delisted.product_id = c.product_id;
  delisted.reason = c.reason;
  emit(decision, product_stream(c.product_id), std::move(delisted));
  return decision;
}

Result<Decision> relist_product(const shop::RelistProductT& c, const Context& ctx) {
  if (Status s = check_id(c.product_id, "product_id"); !s) return s.error();
  const ProductState& product = ctx.loaded.product(c.product_id);
  if (!product.exists) return refuse("unknown_product", "product_id", "product '" + c.product_id + "' does not exist");
  if (product.listed) return refuse("already_listed", "product_id", "product '" + c.product_id + "' is listed");
  // The rules may have changed since the listing: a relisted product passes them again.
  if (Status s = check_listing_content(product.title, product.description, product.category, product.attributes,
                                       ctx.config);
      !s)
    return s.error();
  Decision decision;
  shop::ProductRelistedT relisted;
  relisted.product_id = c.product_id;
  emit(decision, product_stream(c.product_id), std::move(relisted));
  return decision;
}

Result<Decision> change_prices(const shop::ChangePricesT& c, const Context& ctx) {
  const RuleThresholds& rules = ctx.config.rules;
  if (c.changes.empty()) return refuse("required", "changes", "give at least one price change");
  if (c.changes.size() > static_cast<std::size_t>(rules.max_price_changes)) {
    return refuse("too_many", "changes", "at most " + std::to_string(rules.max_price_changes) + " price changes per command");
  }
  std::map<std::string, std::map<std::string, std::int64_t>> new_prices;  // product -> sku -> price
  std::set<std::string> seen;
  Decision decision;
  for (std::size_t i = 0; i < c.changes.size(); ++i) {
    const std::string at = "changes[" + std::to_string(i) + "]";
    const shop::PriceChangeT* change = c.changes[i].get();
    if (change == nullptr) return refuse("required", at, at + " is empty");
    if (Status s = check_id(change->product_id, at + ".product_id"); !s) return s.error();
    if (Status s = check_id(change->sku_id, at + ".sku_id"); !s) return s.error();
    const ProductState& product = ctx.loaded.product(change->product_id);
    if (!product.exists) return refuse("unknown_product", at + ".product_id", "product '" + change->product_id + "' does not exist");
    const ProductSku* sku = product.find_sku(change->sku_id);
    if (sku == nullptr) {
      return refuse("unknown_sku", at + ".sku_id", "SKU '" + change->sku_id + "' is not a SKU of '" + change->product_id + "'");
    }
    if (!seen.insert(change->sku_id).second) return refuse("duplicate_sku", at + ".sku_id", "SKU '" + change->sku_id + "' appears twice");
    if (Status s = check_amount(change->new_price, at + ".new_price", false); !s) return s.error();
    if (Status s = check_text(change->reason, at + ".reason", 1024, false); !s) return s.error();
    const bool below_cost = change->new_price < sku->cost;
    if (below_cost && is_blank(change->reason)) {
      Error refusal = refuse("below_cost_needs_reason", at + ".reason",
                             "the new price " + std::to_string(change->new_price) + " of SKU '" + change->sku_id +
                                 "' is below its cost; a reason is required");
      refusal.figures = {{"new_price", change->new_price}, {"cost", sku->cost}};
      return refusal;
    }
    new_prices[change->product_id][change->sku_id] = change->new_price;
    shop::PriceChangedT changed;
    changed.product_id = change->product_id;
    changed.sku_id = change->sku_id;
    changed.old_price = sku->price;
    changed.new_price = change->new_price;
    changed.reason = change->reason;
    changed.below_cost = below_cost;
    changed.batch_size = static_cast<std::int32_t>(c.changes.size());
    emit(decision, product_stream(change->product_id), std::move(changed));
  }
  for (const auto& [product_id, prices] : new_prices) {
    std::vector<LadderSku> ladder;
    for (const ProductSku& sku : ctx.loaded.product(product_id).skus) {
      auto changed = prices.find(sku.sku_id);
      ladder.push_back({sku.sku_id, changed == prices.end() ? sku.price : changed->second,
                        sellable(ctx.loaded.stock(sku.sku_id))});
    }
    if (Status s = check_price_ladder(ladder, rules.max_price_spread); !s) {
      Error error = s.error();
      error.message = "product '" + product_id + "': " + error.message;
      return error;
    }
  }
  return decision;
}

Result<Decision> register_supplier(const shop::RegisterSupplierT& c, const Context& ctx) {
  if (Status s = check_id(c.supplier_id, "supplier_id"); !s) return s.error();
  if (Status s = check_text(c.name, "name", 256, true); !s) return s.error();
  if (ctx.loaded.supplier(c.supplier_id).exists) {
    return refuse("supplier_exists", "supplier_id", "supplier '" + c.supplier_id + "' is already registered");
  }
  const SupplierTerms& d = ctx.config.supplier_defaults;
  shop::SupplierRegisteredT registered;
  registered.supplier_id = c.supplier_id;
  registered.name = c.name;
  registered.lead_time_days = c.lead_time_days < 0 ? d.lead_time_days : c.lead_time_days;
  registered.ship_within_hours = c.ship_within_hours < 0 ? d.ship_within_hours : c.ship_within_hours;
  registered.return_cost_share_bp = c.return_cost_share_bp < 0 ? d.return_cost_share_bp : c.return_cost_share_bp;
  registered.return_window_days = c.return_window_days < 0 ? d.return_window_days : c.return_window_days;
  if (registered.lead_time_days > 365) return refuse("invalid_terms", "lead_time_days", "lead_time_days must be 0 to 365");
  if (registered.ship_within_hours < 1 || registered.ship_within_hours > 720) {
    return refuse("invalid_terms", "ship_within_hours", "ship_within_hours must be 1 to 720");
  }
  if (registered.return_cost_share_bp > 10000) {
    return refuse("invalid_terms", "return_cost_share_bp", "return_cost_share_bp must be 0 to 10000 (basis points)");
  }
  if (registered.return_window_days > 365) return refuse("invalid_terms", "return_window_days", "return_window_days must be 0 to 365");
  Decision decision;
  emit(decision, supplier_stream(c.supplier_id), std::move(registered));
  return decision;
}

Result<Decision> register_warehouse(const shop::RegisterWarehouseT& c, const Context& ctx) {
  if (Status s = check_id(c.warehouse_id, "warehouse_id"); !s) return s.error();
  if (Status s = check_text(c.name, "name", 256, true); !s) return s.error();
  if (ctx.config.find_region(c.region) == nullptr) {
    return refuse("unknown_region", "region", "region '" + c.region + "' is not configured");
  }
  if (ctx.loaded.warehouse(c.warehouse_id).exists) {
    return refuse("warehouse_exists", "warehouse_id", "warehouse '" + c.warehouse_id + "' is already registered");
  }
  Decision decision;
  shop::WarehouseRegisteredT registered;
  registered.warehouse_id = c.warehouse_id;
  registered.name = c.name;
  registered.region = c.region;
  emit(decision, warehouse_stream(c.warehouse_id), std::move(registered));
  return decision;
}

}  // namespace

void catalog_streams(const shop::CommandBodyUnion& command, const LoadedStreams& loaded, std::vector<std::string>& out) {
  using shop::CommandBody;
  switch (command.type) {
    case CommandBody::RegisterSupplier: out.push_back(supplier_stream(command.AsRegisterSupplier()->supplier_id)); break;
    case CommandBody::RegisterWarehouse: out.push_back(warehouse_stream(command.AsRegisterWarehouse()->warehouse_id)); break;
    case CommandBody::ListProduct: {
      const auto& c = *command.AsListProduct();
      out.push_back(product_stream(c.product_id));
      for (const auto& sku : c.skus) {
        if (sku) out.push_back(stock_stream(sku->sku_id));
      }
      if (!c.supplier_id.empty()) out.push_back(supplier_stream(c.supplier_id));
      break;
    }
    case CommandBody::UpdateProduct: out.push_back(product_stream(command.AsUpdateProduct()->product_id)); break;
    case CommandBody::DelistProduct: out.push_back(product_stream(command.AsDelistProduct()->product_id)); break;
    case CommandBody::RelistProduct: out.push_back(product_stream(command.AsRelistProduct()->product_id)); break;
    case CommandBody::ChangePrices:
      for (const auto& change : command.AsChangePrices()->changes) {
        if (!change) continue;
        const std::string stream = product_stream(change->product_id);
        out.push_back(stream);
        if (loaded.contains(stream)) {
          for (const ProductSku& sku : loaded.product(change->product_id).skus) out.push_back(stock_stream(sku.sku_id));
        }
      }
      break;
    default:
      break;
  }
}

Result<Decision> decide_catalog(const shop::CommandBodyUnion& command, const Context& ctx) {
  using shop::CommandBody;
  switch (command.type) {
    case CommandBody::RegisterSupplier: return register_supplier(*command.AsRegisterSupplier(), ctx);
    case CommandBody::RegisterWarehouse: return register_warehouse(*command.AsRegisterWarehouse(), ctx);
    case CommandBody::ListProduct: return list_product(*command.AsListProduct(), ctx);
    case CommandBody::UpdateProduct: return update_product(*command.AsUpdateProduct(), ctx);
    case CommandBody::DelistProduct: return delist_product(*command.AsDelistProduct(), ctx);
    case CommandBody::RelistProduct: return relist_product(*command.AsRelistProduct(), ctx);
    case CommandBody::ChangePrices: return change_prices(*command.AsChangePrices(), ctx);
    default: break;
  }
  return refuse("unknown_command", "command", "not a catalog command");
}

}  // namespace spine::domain::detail

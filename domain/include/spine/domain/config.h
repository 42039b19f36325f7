// The shop's configuration: categories and their required attributes, banned
// words, regions, warehouses and suppliers to register, supplier default
// terms, commission rates and rule thresholds. Parsed from TOML text; a bad
// file is refused with its name, line and the reason (docs/operations.md
// documents every key, and config/shop.toml is the shipped default).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "spine/domain/time_zone.h"
#include "spine/result.h"

namespace spine::domain {

struct CategoryConfig {
  std::string path;                           // leaf, "level1/level2[/level3]"
  std::vector<std::string> required_attributes;
  bool high_ticket = false;                   // appliances, digital (for KPIs)
};

struct RegionConfig {
  std::string name;                           // "east"
  std::string label;                          // "華東"
  std::vector<std::string> neighbours;        // other regions, nearest first
};

struct WarehouseConfig { std::string id, name, region; };

struct SupplierTerms {
  std::int32_t lead_time_days = 7;
  std::int32_t ship_within_hours = 48;
  std::int32_t return_cost_share_bp = 5000;   // supplier's share of return shipping
  std::int32_t return_window_days = 30;
};

struct SupplierConfig { std::string id, name; SupplierTerms terms; };

struct CommissionRate {
  std::string channel;                        // "" = any channel
  std::string category;                       // "" = any category (prefix match)
  std::int32_t rate_bp = 0;
};

// Lead time of own stock (days from a purchase order to goods on the
// shelf), for safety stock and reorder suggestions: the most specific rule
// (a SKU, then the longest category prefix), else the shop's default. 0 is a
// lead time of 0 days.
struct LeadTimeRule {
  std::string sku;       // "" = by category
  std::string category;  // prefix match on the category path
  std::int32_t days = 0;
};

struct OwnStockConfig {
  std::int32_t lead_time_days = 7;
  std::vector<LeadTimeRule> lead_times;
};

// The lead time of an own-stock SKU in `category` under `own`.
std::int32_t own_lead_time_days(const OwnStockConfig& own, std::string_view sku, std::string_view category);

struct RuleThresholds {
  double max_missing_attribute_ratio = 0.20;  // more than this is refused
  double max_price_spread = 3.0;              // max SKU price / min SKU price
  std::int32_t video_min_seconds = 9;
  std::int32_t video_max_seconds = 30;
  std::int32_t supplier_stale_minutes = 15;
  std::int32_t own_ship_within_hours = 24;   // own warehouses ship within this of payment
  std::int32_t no_reason_return_days = 7;    // a NoReason7Day return is asked within this of delivery
  std::int32_t bulk_price_change_skus = 20;   // alert past this many SKUs ...
  std::int32_t bulk_price_change_minutes = 10;  // ... by one actor in this window
  std::int64_t low_stock_floor = 50;
  double safety_stock_factor = 1.5;
  double min_roi = 2.5;
  std::int32_t roi_window_days = 7;      // the ROI alert looks back this many local days ...
  std::int64_t roi_min_spend = 50'000;   // ... once their spend reaches this (fen)
  double min_supplier_ship_rate = 0.95;
  double max_return_loss_rate = 0.05;
  std::int32_t promo_min_sales = 50;
  std::int32_t max_order_lines = 100;
  std::int32_t max_line_quantity = 10000;
  std::int32_t max_skus_per_product = 200;
  std::int32_t max_price_changes = 1000;
  std::int32_t max_title_chars = 120;
  std::int32_t max_text_bytes = 16384;
};

struct Config {
  std::vector<CategoryConfig> categories;
  std::vector<std::string> banned_words;
  std::vector<RegionConfig> regions;
  std::vector<WarehouseConfig> warehouses;
  std::vector<SupplierConfig> suppliers;
  SupplierTerms supplier_defaults;
  std::int32_t default_commission_bp = 500;
  std::vector<CommissionRate> commission_rates;
  RuleThresholds rules;
  OwnStockConfig own_stock;
  TimeZone time_zone;  // where the shop's local hours and days are cut

  const CategoryConfig* find_category(std::string_view path) const;
  const RegionConfig* find_region(std::string_view name) const;
  // The commission for a sale in `channel` of a product in `category`: the
  // most specific configured rate (channel and category, then category, then
  // channel), else the default.
  std::int32_t commission_bp(std::string_view channel, std::string_view category) const;
};

// Parses TOML `text`; `source_name` (a file path) is used in error messages,
// which name the line: code "config_invalid", field "<file>:<line>".
Result<Config> parse_config(std::string_view text, const std::string& source_name);

// The built-in default configuration (the same as config/shop.toml).
const Config& default_config();
std::string_view default_config_text();

}  // namespace spine::domain

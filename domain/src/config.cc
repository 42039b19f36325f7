#include "spine/domain/config.h"

#include <cmath>
#include <set>

#include <toml++/toml.h>

namespace spine::domain {

namespace {

// Builds errors that name the file and line of the offending node.
class ConfigReader {
 public:
  explicit ConfigReader(std::string source) : source_(std::move(source)) {}

  Error error(const toml::node* node, const std::string& message) const {
    std::string where = source_;
    if (node != nullptr && node->source().begin.line > 0) {
      where += ":" + std::to_string(node->source().begin.line);
    }
    return Error{"config_invalid", where, message};
  }

  // Reads an optional value of type T at `key` of `table` into `out`.
  template <typename T>
  Status read(const toml::table& table, std::string_view key, T& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return ok_status();
    if constexpr (std::is_same_v<T, std::string>) {
      if (!node->is_string()) return error(node, std::string(key) + " must be a string");
      out = *node->value<std::string>();
    } else if constexpr (std::is_same_v<T, double>) {
      if (!node->is_number()) return error(node, std::string(key) + " must be a number");
      out = *node->value<double>();
      if (!std::isfinite(out) || out < 0) return error(node, std::string(key) + " must be a finite number >= 0");
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!node->is_boolean()) return error(node, std::string(key) + " must be true or false");
      out = *node->value<bool>();
    } else {
      if (!node->is_integer()) return error(node, std::string(key) + " must be an integer");
      const std::int64_t value = *node->value<std::int64_t>();
      if (value < 0 || value > std::numeric_limits<T>::max()) {
        return error(node, std::string(key) + " must be between 0 and " +
                               std::to_string(std::numeric_limits<T>::max()));
      }
      out = static_cast<T>(value);
    }
    return ok_status();
  }

  Status read_strings(const toml::table& table, std::string_view key, std::vector<std::string>& out) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return ok_status();
    const toml::array* array = node->as_array();
    if (array == nullptr) return error(node, std::string(key) + " must be an array of strings");
    out.clear();
    for (const toml::node& item : *array) {
      if (!item.is_string()) return error(&item, std::string(key) + " must hold strings only");
      out.push_back(*item.value<std::string>());
    }
    return ok_status();
  }

  Status read_ratio_bp(const toml::table& table, std::string_view key, std::int32_t& out_bp) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return ok_status();
    double ratio = 0;
    if (Status s = read(table, key, ratio); !s) return s;
    if (ratio > 1.0) return error(node, std::string(key) + " is a fraction between 0 and 1");
    out_bp = static_cast<std::int32_t>(std::lround(ratio * 10000));
    return ok_status();
  }

  // Refuses keys the schema does not know (a typo must not be silently ignored).
  Status only_keys(const toml::table& table, std::initializer_list<std::string_view> known,
                   const std::string& where) const {
    for (const auto& [key, node] : table) {
      bool found = false;
      for (std::string_view k : known) found = found || key.str() == k;
      if (!found) return error(&node, "unknown key '" + std::string(key.str()) + "' in " + where);
    }
    return ok_status();
  }

  template <typename Fn>
  Status each_table(const toml::table& root, std::string_view key, Fn&& fn) const {
    const toml::node* node = root.get(key);
    if (node == nullptr) return ok_status();
    const toml::array* array = node->as_array();
    if (array == nullptr) return error(node, std::string(key) + " must be an array of tables ([[" + std::string(key) + "]])");
    for (const toml::node& item : *array) {
      const toml::table* table = item.as_table();
      if (table == nullptr) return error(&item, std::string(key) + " must hold tables");
      if (Status s = fn(*table, item); !s) return s;
    }
    return ok_status();
  }

 private:
  std::string source_;
};

Status read_rules(const ConfigReader& r, const toml::table& t, RuleThresholds& rules) {
  if (Status s = r.only_keys(t, {"max_missing_attribute_ratio", "max_price_spread", "video_min_seconds",
                                 "video_max_seconds", "supplier_stale_minutes", "own_ship_within_hours", "no_reason_return_days", "bulk_price_change_skus",
                                 "bulk_price_change_minutes", "low_stock_floor", "safety_stock_factor", "min_roi",
                                 "roi_window_days", "roi_min_spend",
                                 "min_supplier_ship_rate", "max_return_loss_rate", "promo_min_sales",
                                 "max_order_lines", "max_line_quantity", "max_skus_per_product",
                                 "max_price_changes", "max_title_chars", "max_text_bytes"},
                         "[rules]");
      !s)
    return s;
  Status s = ok_status();
  auto step = [&](Status next) { if (s.ok() && !next.ok()) s = next; };
  step(r.read(t, "max_missing_attribute_ratio", rules.max_missing_attribute_ratio));
  step(r.read(t, "max_price_spread", rules.max_price_spread));
  step(r.read(t, "video_min_seconds", rules.video_min_seconds));
  step(r.read(t, "video_max_seconds", rules.video_max_seconds));
  step(r.read(t, "supplier_stale_minutes", rules.supplier_stale_minutes));
  step(r.read(t, "own_ship_within_hours", rules.own_ship_within_hours));
  step(r.read(t, "no_reason_return_days", rules.no_reason_return_days));
  step(r.read(t, "bulk_price_change_skus", rules.bulk_price_change_skus));
  step(r.read(t, "bulk_price_change_minutes", rules.bulk_price_change_minutes));
  step(r.read(t, "low_stock_floor", rules.low_stock_floor));
  step(r.read(t, "safety_stock_factor", rules.safety_stock_factor));
  step(r.read(t, "min_roi", rules.min_roi));
  step(r.read(t, "roi_window_days", rules.roi_window_days));
  step(r.read(t, "roi_min_spend", rules.roi_min_spend));
  step(r.read(t, "min_supplier_ship_rate", rules.min_supplier_ship_rate));
  step(r.read(t, "max_return_loss_rate", rules.max_return_loss_rate));
  step(r.read(t, "promo_min_sales", rules.promo_min_sales));
  step(r.read(t, "max_order_lines", rules.max_order_lines));
  step(r.read(t, "max_line_quantity", rules.max_line_quantity));
  step(r.read(t, "max_skus_per_product", rules.max_skus_per_product));
  step(r.read(t, "max_price_changes", rules.max_price_changes));
  step(r.read(t, "max_title_chars", rules.max_title_chars));
  step(r.read(t, "max_text_bytes", rules.max_text_bytes));
  if (!s) return s;
  if (rules.max_missing_attribute_ratio > 1.0) return r.error(t.get("max_missing_attribute_ratio"), "max_missing_attribute_ratio is a fraction between 0 and 1");
  if (rules.max_price_spread < 1.0) return r.error(t.get("max_price_spread"), "max_price_spread must be at least 1.0");
  if (rules.video_min_seconds > rules.video_max_seconds) return r.error(t.get("video_min_seconds"), "video_min_seconds exceeds video_max_seconds");
  if (rules.max_order_lines < 1 || rules.max_line_quantity < 1 || rules.max_skus_per_product < 1 ||
      rules.max_price_changes < 1 || rules.max_title_chars < 1) {
    return r.error(&t, "the max_* limits must be at least 1");
  }
  if (rules.supplier_stale_minutes < 1 || rules.own_ship_within_hours < 1 || rules.bulk_price_change_minutes < 1) {
    return r.error(&t, "supplier_stale_minutes, own_ship_within_hours and bulk_price_change_minutes must be at least 1");
  }
  if (rules.no_reason_return_days < 1 || rules.no_reason_return_days > 365) {
    return r.error(t.get("no_reason_return_days"), "no_reason_return_days must be 1 to 365");
  }
  if (rules.roi_window_days < 1 || rules.roi_window_days > 60) {
    return r.error(t.get("roi_window_days"), "roi_window_days must be 1 to 60");
  }
  return ok_status();
}

Status read_terms(const ConfigReader& r, const toml::table& t, SupplierTerms& terms) {
  Status s = r.read(t, "lead_time_days", terms.lead_time_days);
  if (s) s = r.read(t, "ship_within_hours", terms.ship_within_hours);
  if (s) s = r.read_ratio_bp(t, "return_cost_share", terms.return_cost_share_bp);
  if (s) s = r.read(t, "return_window_days", terms.return_window_days);
  return s;
}

// [own_stock]: lead_time_days and lead_times = [{ sku | category, days }].
Status read_own_stock(const ConfigReader& r, const toml::table& t, OwnStockConfig& own) {
  constexpr std::int32_t kMaxLeadTimeDays = 60;  // the days of sales history the stock model keeps
  if (Status s = r.only_keys(t, {"lead_time_days", "lead_times"}, "[own_stock]"); !s) return s;
  if (Status s = r.read(t, "lead_time_days", own.lead_time_days); !s) return s;
  if (own.lead_time_days > kMaxLeadTimeDays) return r.error(t.get("lead_time_days"), "lead_time_days must be 0 to 60");
  return r.each_table(t, "lead_times", [&](const toml::table& rule_table, const toml::node& node) -> Status {
    LeadTimeRule rule;
    if (Status k = r.only_keys(rule_table, {"sku", "category", "days"}, "own_stock.lead_times"); !k) return k;
    if (Status k = r.read(rule_table, "sku", rule.sku); !k) return k;
    if (Status k = r.read(rule_table, "category", rule.category); !k) return k;
    if (rule_table.get("days") == nullptr) return r.error(&node, "a lead time needs 'days'");
    if (Status k = r.read(rule_table, "days", rule.days); !k) return k;
    if (rule.days > kMaxLeadTimeDays) return r.error(&node, "days must be 0 to 60");
    if (rule.sku.empty() == rule.category.empty()) return r.error(&node, "a lead time names either a sku or a category");
    own.lead_times.push_back(rule);
    return ok_status();
  });
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

Result<Config> read_config(const ConfigReader& r, const toml::table& root) {
  Config config;
  if (Status s = r.only_keys(root, {"time_zone", "banned_words", "rules", "supplier_defaults", "own_stock",
                                    "commission", "regions", "categories", "warehouses", "suppliers"},
                             "the top level");
      !s)
    return s.error();
  std::string zone_name;
  if (Status s = r.read(root, "time_zone", zone_name); !s) return s.error();
  if (root.get("time_zone") != nullptr) {
    Result<TimeZone> zone = TimeZone::named(zone_name);
    if (!zone.ok()) return r.error(root.get("time_zone"), zone.error().message);
    config.time_zone = std::move(*zone);
  }
  if (Status s = r.read_strings(root, "banned_words", config.banned_words); !s) return s.error();
  for (const std::string& word : config.banned_words) {
    if (word.empty()) return r.error(root.get("banned_words"), "banned_words may not hold an empty word");
  }
  if (const toml::table* rules = root["rules"].as_table()) {
    if (Status s = read_rules(r, *rules, config.rules); !s) return s.error();
  }
  if (const toml::table* defaults = root["supplier_defaults"].as_table()) {
    if (Status s = r.only_keys(*defaults, {"lead_time_days", "ship_within_hours", "return_cost_share",
                                           "return_window_days"}, "[supplier_defaults]");
        !s)
      return s.error();
    if (Status s = read_terms(r, *defaults, config.supplier_defaults); !s) return s.error();
  }
  if (const toml::table* own = root["own_stock"].as_table()) {
    if (Status s = read_own_stock(r, *own, config.own_stock); !s) return s.error();
  }
  if (const toml::table* commission = root["commission"].as_table()) {
    if (Status s = r.only_keys(*commission, {"default", "rates"}, "[commission]"); !s) return s.error();
    if (Status s = r.read_ratio_bp(*commission, "default", config.default_commission_bp); !s) return s.error();
    Status s = r.each_table(*commission, "rates", [&](const toml::table& t, const toml::node&) -> Status {
      CommissionRate rate;
      if (Status k = r.only_keys(t, {"channel", "category", "rate"}, "commission.rates"); !k) return k;
      if (Status k = r.read(t, "channel", rate.channel); !k) return k;
      if (Status k = r.read(t, "category", rate.category); !k) return k;
      if (t.get("rate") == nullptr) return r.error(&t, "a commission rate needs 'rate'");
      if (Status k = r.read_ratio_bp(t, "rate", rate.rate_bp); !k) return k;
      config.commission_rates.push_back(rate);
      return ok_status();
    });
    if (!s) return s.error();
  }

  std::set<std::string> region_names;
  Status s = r.each_table(root, "regions", [&](const toml::table& t, const toml::node& node) -> Status {
    RegionConfig region;
    if (Status k = r.only_keys(t, {"name", "label", "neighbours"}, "[[regions]]"); !k) return k;
    if (Status k = r.read(t, "name", region.name); !k) return k;
    if (Status k = r.read(t, "label", region.label); !k) return k;
    if (Status k = r.read_strings(t, "neighbours", region.neighbours); !k) return k;
    if (!valid_id(region.name)) return r.error(&node, "a region needs a name of 1-64 letters, digits, '-', '_', '.' or ':'");
    if (!region_names.insert(region.name).second) return r.error(&node, "region '" + region.name + "' is declared twice");
    config.regions.push_back(region);
    return ok_status();
  });
  if (!s) return s.error();
  for (const RegionConfig& region : config.regions) {
    for (const std::string& neighbour : region.neighbours) {
      if (!region_names.contains(neighbour)) {
        return r.error(root.get("regions"), "region '" + region.name + "' names unknown neighbour '" + neighbour + "'");
      }
    }
  }

  std::set<std::string> paths;
  s = r.each_table(root, "categories", [&](const toml::table& t, const toml::node& node) -> Status {
    CategoryConfig category;
    if (Status k = r.only_keys(t, {"path", "required_attributes", "high_ticket"}, "[[categories]]"); !k) return k;
    if (Status k = r.read(t, "path", category.path); !k) return k;
    if (Status k = r.read_strings(t, "required_attributes", category.required_attributes); !k) return k;
    if (Status k = r.read(t, "high_ticket", category.high_ticket); !k) return k;
    std::size_t levels = 1;
    for (char c : category.path) levels += c == '/' ? 1 : 0;
    if (category.path.empty() || category.path.front() == '/' || category.path.back() == '/' ||
        category.path.find("//") != std::string::npos) {
      return r.error(&node, "category path '" + category.path + "' is not of the form a/b[/c]");
    }
    if (levels < 2 || levels > 3) {
      return r.error(&node, "category '" + category.path + "' is at level " + std::to_string(levels) +
                                "; a leaf category must be at level 2 or 3");
    }
    if (!paths.insert(category.path).second) return r.error(&node, "category '" + category.path + "' is declared twice");
    config.categories.push_back(category);
    return ok_status();
  });
  if (!s) return s.error();
  for (const CategoryConfig& category : config.categories) {
    for (const CategoryConfig& other : config.categories) {
      if (other.path.size() > category.path.size() && other.path.starts_with(category.path + "/")) {
        return r.error(root.get("categories"), "category '" + category.path + "' is not a leaf: '" + other.path +
                                                   "' is below it");
      }
    }
  }

  std::set<std::string> warehouse_ids;
  s = r.each_table(root, "warehouses", [&](const toml::table& t, const toml::node& node) -> Status {
    WarehouseConfig warehouse;
    if (Status k = r.only_keys(t, {"id", "name", "region"}, "[[warehouses]]"); !k) return k;
    if (Status k = r.read(t, "id", warehouse.id); !k) return k;
    if (Status k = r.read(t, "name", warehouse.name); !k) return k;
    if (Status k = r.read(t, "region", warehouse.region); !k) return k;
    if (!valid_id(warehouse.id)) return r.error(&node, "a warehouse needs an id of 1-64 letters, digits, '-', '_', '.' or ':'");
    if (!region_names.contains(warehouse.region)) return r.error(&node, "warehouse '" + warehouse.id + "' is in unknown region '" + warehouse.region + "'");
    if (!warehouse_ids.insert(warehouse.id).second) return r.error(&node, "warehouse '" + warehouse.id + "' is declared twice");
    config.warehouses.push_back(warehouse);
    return ok_status();
  });
  if (!s) return s.error();

  std::set<std::string> supplier_ids;
  s = r.each_table(root, "suppliers", [&](const toml::table& t, const toml::node& node) -> Status {
    SupplierConfig supplier;
    supplier.terms = config.supplier_defaults;
    if (Status k = r.only_keys(t, {"id", "name", "lead_time_days", "ship_within_hours", "return_cost_share",
                                   "return_window_days"}, "[[suppliers]]");
        !k)
      return k;
    if (Status k = r.read(t, "id", supplier.id); !k) return k;
    if (Status k = r.read(t, "name", supplier.name); !k) return k;
    if (Status k = read_terms(r, t, supplier.terms); !k) return k;
    if (!valid_id(supplier.id)) return r.error(&node, "a supplier needs an id of 1-64 letters, digits, '-', '_', '.' or ':'");
    if (!supplier_ids.insert(supplier.id).second) return r.error(&node, "supplier '" + supplier.id + "' is declared twice");
    config.suppliers.push_back(supplier);
    return ok_status();
  });
  if (!s) return s.error();
  return config;
}

}  // namespace

const CategoryConfig* Config::find_category(std::string_view path) const {
  for (const CategoryConfig& category : categories) {
    if (category.path == path) return &category;
  }
  return nullptr;
}

const RegionConfig* Config::find_region(std::string_view name) const {
  for (const RegionConfig& region : regions) {
    if (region.name == name) return &region;
  }
  return nullptr;
}

namespace {
// True if `category` is `prefix` or below it ("digital" covers "digital/phones").
bool category_under(std::string_view category, std::string_view prefix) {
  return category == prefix ||
         (category.size() > prefix.size() && category.starts_with(prefix) && category[prefix.size()] == '/');
}
}  // namespace

std::int32_t own_lead_time_days(const OwnStockConfig& own, std::string_view sku, std::string_view category) {
  std::size_t best_prefix = 0;
  std::int32_t best = own.lead_time_days;
  for (const LeadTimeRule& rule : own.lead_times) {
    if (!rule.sku.empty()) {
      if (rule.sku == sku) return rule.days;
      continue;
    }
    if (category_under(category, rule.category) && rule.category.size() > best_prefix) {
      best_prefix = rule.category.size();
      best = rule.days;
    }
  }
  return best;
}

std::int32_t Config::commission_bp(std::string_view channel, std::string_view category) const {
  auto category_matches = [&](const std::string& prefix) { return category_under(category, prefix); };
  int best_score = -1;
  std::int32_t best = default_commission_bp;
  for (const CommissionRate& rate : commission_rates) {
    const bool channel_ok = rate.channel.empty() || rate.channel == channel;
    const bool category_ok = rate.category.empty() || category_matches(rate.category);
    if (!channel_ok || !category_ok) continue;
    const int score = (rate.category.empty() ? 0 : 2) + (rate.channel.empty() ? 0 : 1);
    if (score > best_score) {
      best_score = score;
      best = rate.rate_bp;
    }
  }
  return best;
}

Result<Config> parse_config(std::string_view text, const std::string& source_name) {
  ConfigReader reader(source_name);
  try {
    toml::table root = toml::parse(text, source_name);
    return read_config(reader, root);
  } catch (const toml::parse_error& e) {  // toml++ reports syntax errors as exceptions
    return Error{"config_invalid", source_name + ":" + std::to_string(e.source().begin.line),
                 std::string(e.description())};
  }
}

const Config& default_config() {
  static const Config config = [] {
    Result<Config> parsed = parse_config(default_config_text(), "<built-in shop.toml>");
    assert(parsed.ok() && "the built-in configuration must parse");
    return std::move(parsed).value();
  }();
  return config;
}

}  // namespace spine::domain

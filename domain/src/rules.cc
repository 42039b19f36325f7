#include "spine/domain/rules.h"

#include <algorithm>
#include <cmath>

#include "spine/domain/text.h"

namespace spine::domain {


bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  while (i < text.size()) {
    const unsigned char c = s[i];
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { extra = 1; code = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { extra = 2; code = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { extra = 3; code = c & 0x07; }
    else return false;
    if (i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      code = (code << 6) | (s[i + k] & 0x3F);
    }
    const bool overlong = (extra == 1 && code < 0x80) || (extra == 2 && code < 0x800) || (extra == 3 && code < 0x10000);
    if (overlong || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

Status check_text(std::string_view text, const std::string& field, std::size_t max_bytes, bool required) {
  if (text.empty()) {
    if (required) return Error{"required", field, field + " is required"};
    return ok_status();
  }
  if (!is_valid_utf8(text)) return Error{"invalid_utf8", field, field + " is not valid UTF-8"};
  if (text.size() > max_bytes) {
    return Error{"too_long", field, field + " is " + std::to_string(text.size()) + " bytes; the limit is " +
                                        std::to_string(max_bytes)};
  }
  return ok_status();
}

Status check_banned_words(std::string_view text, const std::string& field, const std::vector<std::string>& words) {
  const std::vector<std::string> haystack = text_tokens(text);
  for (const std::string& word : words) {
    if (contains_tokens(haystack, text_tokens(word))) {
      return Error{"banned_word", field,
                   field + " contains the banned term '" + word +
                       "' (medical claims and absolute or superlative terms are not allowed; compared after "
                       "Unicode normalisation, so full-width forms and invisible characters do not hide it)"};
    }
  }
  return ok_status();
}

Result<const CategoryConfig*> check_category(std::string_view path, const Config& config) {
  if (path.empty()) return Error{"required", "category", "category is required"};
  if (const CategoryConfig* category = config.find_category(path)) return category;
  const std::string prefix = std::string(path) + "/";
  for (const CategoryConfig& category : config.categories) {
    if (category.path.starts_with(prefix)) {
      return Error{"category_not_leaf", "category",
                   "'" + std::string(path) + "' is not a leaf category; choose one below it, e.g. '" + category.path +
                       "'"};
    }
  }
  const std::size_t levels = 1 + static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
  if (levels < 2 || levels > 3) {
    return Error{"category_level", "category",
                 "'" + std::string(path) + "' is at level " + std::to_string(levels) +
                     "; a product must be listed in a leaf category at level 2 or 3"};
  }
  return Error{"category_unknown", "category", "'" + std::string(path) + "' is not a configured category"};
}

Status check_attribute_completeness(const CategoryConfig& category,
                                    const std::vector<std::pair<std::string, std::string>>& attributes,
                                    double max_missing_ratio) {
  if (category.required_attributes.empty()) return ok_status();
  std::vector<std::string> missing;
  for (const std::string& required : category.required_attributes) {
    const bool given = std::any_of(attributes.begin(), attributes.end(),
                                   [&](const auto& a) { return a.first == required && !is_blank(a.second); });
    if (!given) missing.push_back(required);
  }
  const double ratio = static_cast<double>(missing.size()) / static_cast<double>(category.required_attributes.size());
  if (ratio > max_missing_ratio + 1e-9) {
    std::string list;
    for (const std::string& name : missing) list += (list.empty() ? "" : ", ") + name;
    return Error{"attributes_incomplete", "attributes",
                 std::to_string(missing.size()) + " of " + std::to_string(category.required_attributes.size()) +
                     " required attributes of '" + category.path + "' are missing (" + list + "); at most " +
                     std::to_string(static_cast<int>(std::lround(max_missing_ratio * 100))) + " % may be missing"};
  }
  return ok_status();
}

Status check_price_ladder(const std::vector<LadderSku>& skus, double max_spread) {
  if (skus.empty()) return ok_status();
  std::int64_t low = skus.front().price, high = skus.front().price;
  for (const LadderSku& sku : skus) {
    low = std::min(low, sku.price);
    high = std::max(high, sku.price);
  }
  if (low > 0 && static_cast<double>(high) > max_spread * static_cast<double>(low) + 1e-9) {
    return Error{"price_spread", "skus",
                 "SKU prices range from " + std::to_string(low) + " to " + std::to_string(high) +
                     " fen; the highest may be at most " + std::to_string(max_spread).substr(0, 4) +
                     "x the lowest (bait-priced SKUs trigger platform risk control)"};
  }
  const bool any_stock = std::any_of(skus.begin(), skus.end(), [](const LadderSku& s) { return s.stock > 0; });
  const bool cheapest_has_stock =
      std::any_of(skus.begin(), skus.end(), [&](const LadderSku& s) { return s.price == low && s.stock > 0; });
  if (any_stock && !cheapest_has_stock) {
    std::string cheapest;
    for (const LadderSku& s : skus) {
      if (s.price == low) cheapest += (cheapest.empty() ? "" : ", ") + s.sku_id;
    }
    return Error{"cheapest_sku_out_of_stock", "skus",
                 "the cheapest SKU (" + cheapest + ") has no stock while others do; the cheapest SKU may not be "
                 "one that cannot be bought"};
  }
  return ok_status();
}

Status check_video_length(std::int32_t seconds, const RuleThresholds& rules) {
  if (seconds == 0) return ok_status();
  if (seconds < rules.video_min_seconds || seconds > rules.video_max_seconds) {
    return Error{"video_length", "main_video_seconds",
                 "the main video lasts " + std::to_string(seconds) + " s; it must last " +
                     std::to_string(rules.video_min_seconds) + " to " + std::to_string(rules.video_max_seconds) + " s"};
  }
  return ok_status();
}

}  // namespace spine::domain

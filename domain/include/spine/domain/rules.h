// The listing rules of domain.md §1 as pure checks, each refusing with a
// stable code and the field it concerns. decide() combines them; they are
// public so that tests and tools can check one rule at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spine/domain/config.h"
#include "spine/result.h"

namespace spine::domain {

bool is_valid_utf8(std::string_view text);
std::size_t utf8_length(std::string_view text);  // code points; text must be valid UTF-8

// Valid UTF-8, at most `max_bytes`; "required" when empty and `required`.
Status check_text(std::string_view text, const std::string& field, std::size_t max_bytes, bool required);

// "banned_word": `text` contains one of `words`, compared as tokens after
// normalisation (text.h): whole words, case and width folded, invisible
// characters dropped, spacing ignored ("No. 1" is "no.1"); Chinese and other
// scripts without spaces character by character, i.e. as substrings.
Status check_banned_words(std::string_view text, const std::string& field, const std::vector<std::string>& words);

// "category_unknown", "category_not_leaf" or "category_level" (leaf must be level 2 or 3).
Result<const CategoryConfig*> check_category(std::string_view path, const Config& config);

// "attributes_incomplete": more than `max_missing_ratio` of the category's
// required attributes are missing or blank (text.h: only whitespace or
// invisible characters); the message lists them.
Status check_attribute_completeness(const CategoryConfig& category,
                                    const std::vector<std::pair<std::string, std::string>>& attributes,
                                    double max_missing_ratio);

struct LadderSku {
  std::string sku_id;
  std::int64_t price = 0;
  std::int64_t stock = 0;  // available to sell (own + supplier-reported)
};
// "price_spread": max price / min price above `max_spread`.
// "cheapest_sku_out_of_stock": some SKU has stock but no cheapest SKU does
// (bait pricing). All SKUs without stock (a new listing) is allowed.
Status check_price_ladder(const std::vector<LadderSku>& skus, double max_spread);

// "video_length": a main video, when given (> 0 s), must last 9 to 30 s.
Status check_video_length(std::int32_t seconds, const RuleThresholds& rules);

}  // namespace spine::domain

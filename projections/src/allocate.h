// Internal: splitting an amount over weights (refunds over order lines,
// dropship cost over forwarded lines).
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace spine::projections::internal {

__extension__ typedef __int128 Int128;  // exact products of two 64-bit amounts

// Splits `amount` among `weights` in proportion, the rounding remainder going
// one unit at a time to the largest fractional parts (ties: earlier index).
// The parts always sum to `amount`; all-zero weights give it all to the first.
inline std::vector<std::int64_t> allocate(std::int64_t amount, const std::vector<std::int64_t>& weights) {
  std::vector<std::int64_t> parts(weights.size(), 0);
  if (weights.empty()) return parts;
  Int128 total = 0;
  for (std::int64_t w : weights) total += std::max<std::int64_t>(w, 0);
  if (total == 0) {
    parts[0] = amount;
    return parts;
  }
  std::int64_t given = 0;
  std::vector<std::pair<Int128, std::size_t>> remainders;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const Int128 share = static_cast<Int128>(amount) * std::max<std::int64_t>(weights[i], 0);
    parts[i] = static_cast<std::int64_t>(share / total);
    given += parts[i];
    remainders.emplace_back(share % total, i);
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < amount && k < remainders.size(); ++k, ++given) ++parts[remainders[k].second];
  return parts;
}

}  // namespace spine::projections::internal

// Copies of many small byte strings (the records of one read) packed into a
// few blocks: a batch of records costs a handful of allocations instead of
// one per record, and its records sit next to each other in memory, in log
// order, where a reader streams through them.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace spine::store::internal {

class ByteArena {
 public:
  // Every copy starts at a multiple of this (FlatBuffers reads scalars in place).
  static constexpr std::size_t kAlignment = 16;
  // Blocks start small (a live read of a few records stays small) and double
  // up to this size; a larger string gets a block of its own.
  static constexpr std::size_t kFirstBlockBytes = 4 * 1024;
  static constexpr std::size_t kMaxBlockBytes = 128 * 1024;

  // A copy of `bytes`, valid as long as the arena.
  std::string_view copy(std::string_view bytes) {
    const std::size_t padded = round_up(bytes.size());
    if (padded > left_) add_block(padded);
    char* out = next_;
    if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
    next_ += padded;
    left_ -= padded;
    return {out, bytes.size()};
  }

 private:
  static std::size_t round_up(std::size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

  void add_block(std::size_t at_least) {
    block_bytes_ = std::min(kMaxBlockBytes, block_bytes_ == 0 ? kFirstBlockBytes : block_bytes_ * 2);
    const std::size_t size = std::max(block_bytes_, at_least);
    // operator new[] returns memory aligned for any fundamental type (16 bytes).
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
    next_ = blocks_.back().get();
    left_ = size;
    assert(reinterpret_cast<std::uintptr_t>(next_) % kAlignment == 0);
  }

  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t block_bytes_ = 0;  // size of the last regular block
  char* next_ = nullptr;
  std::size_t left_ = 0;
};

}  // namespace spine::store::internal

// Internal: the row mechanism every in-memory projection uses. A
// TrackedTable keeps typed rows in memory with the keys changed since the
// last flush; a flush writes each changed row with its current value, and an
// erased row as an empty value (a tombstone), so the rows on disk are the
// same bytes however the log was cut into batches. Values are JSON
// (nlohmann::json objects keep their keys sorted).
#pragma once

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "json_text.h"

#include "spine/projections/projection.h"

namespace spine::projections::internal {

// A row's stored text: nlohmann::json(row).dump(). A row type with an
// `append_json(JsonText&, const Row&)` overload (found by argument-dependent
// lookup) is written by it instead, without a DOM; it must print the same
// bytes, which debug builds check on every row. A string that is not valid
// UTF-8 falls back to nlohmann (which refuses it, as before).
template <typename Row>
std::string row_text(const Row& row) {
  if constexpr (requires(JsonText& out) { append_json(out, row); }) {
    JsonText out;
    append_json(out, row);
    if (out.valid()) {
      std::string text = out.take();
      assert(text == nlohmann::json(row).dump());
      return text;
    }
  }
  return nlohmann::json(row).dump();
}

// Hashes std::string and std::string_view alike (lookups by view, no copy).
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

// Rows by key in a hash table (one hash per access; a new row costs one node,
// no tree walk), each row knowing whether it changed since the last flush.
template <typename Row>
class TrackedTable {
  static constexpr std::size_t kUnchanged = SIZE_MAX;
  struct Entry {
    Row row{};
    std::size_t changed_at = kUnchanged;  // its index in changed_, or kUnchanged
  };
  using Rows = std::unordered_map<std::string, Entry, TextHash, std::equal_to<>>;
  using Node = typename Rows::value_type;

 public:
  TrackedTable() = default;
  // Not copyable: changed_ points at this table's own nodes (a move keeps
  // them valid).
  TrackedTable(const TrackedTable&) = delete;
  TrackedTable& operator=(const TrackedTable&) = delete;
  TrackedTable(TrackedTable&&) = default;
  TrackedTable& operator=(TrackedTable&&) = default;

  // The row at `key` (created empty), marked changed. The reference stays
  // valid until the row is erased.
  Row& write(std::string_view key) {
    Node& node = slot(key);
    mark_changed(node);
    return node.second.row;
  }
  // Removes the row; the next flush writes its tombstone (even for a row
  // that was never stored: erasing is idempotent on disk).
  void erase(std::string_view key) {
    erased_.emplace_back(key);
    remove(key);
  }
  const Row* find(std::string_view key) const {
    auto found = rows_.find(key);
    return found == rows_.end() ? nullptr : &found->second.row;
  }
  bool contains(std::string_view key) const { return rows_.find(key) != rows_.end(); }
  std::size_t size() const { return rows_.size(); }

  // Calls visit(key, row) for every row, in no particular order (sums, counts).
  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (const auto& [key, entry] : rows_) visit(std::string_view(key), entry.row);
  }
  // Every row as (key, row), in key order (listings).
  std::vector<std::pair<std::string_view, const Row*>> sorted() const {
    std::vector<std::pair<std::string_view, const Row*>> out;
    out.reserve(rows_.size());
    for (const auto& [key, entry] : rows_) out.emplace_back(key, &entry.row);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
  }

  // Writes the tombstones of the rows erased, then each changed row with
  // its current value (a row erased and written again ends with its value:
  // the later put wins).
  void flush(std::string_view prefix, RowSink& sink) {
    std::string key;
    for (const std::string& erased : erased_) {
      key.assign(prefix).append(erased);
      sink.put(key, std::string_view());
    }
    erased_.clear();
    for (Node* node : changed_) {
      key.assign(prefix).append(node->first);
      sink.put(key, row_text(node->second.row));
      node->second.changed_at = kUnchanged;
    }
    changed_.clear();
  }
  void write_all(std::string_view prefix, RowSink& sink) const {
    std::string key;
    for (const auto& [row_key, row] : sorted()) {
      key.assign(prefix).append(row_key);
      sink.put(key, row_text(*row));
    }
  }
  // Restores a row written by flush or write_all; an empty value (a
  // tombstone) erases it, so rows loaded in write order give the state.
  void load(std::string_view key, std::string_view value) {
    if (value.empty()) {
      remove(key);
      return;
    }
    slot(key).second.row = nlohmann::json::parse(value).get<Row>();
  }

 private:
  Node& slot(std::string_view key) {
    auto found = rows_.find(key);
    if (found != rows_.end()) return *found;
    return *rows_.emplace(std::string(key), Entry{}).first;
  }
  // Drops the row (and its place among the changed ones), if there is one.
  void remove(std::string_view key) {
    auto found = rows_.find(key);
    if (found == rows_.end()) return;
    unmark_changed(*found);
    rows_.erase(found);
  }
  void mark_changed(Node& node) {
    if (node.second.changed_at != kUnchanged) return;
    node.second.changed_at = changed_.size();
    changed_.push_back(&node);
  }
  void unmark_changed(Node& node) {
    const std::size_t at = node.second.changed_at;
    if (at == kUnchanged) return;
    assert(changed_[at] == &node);
    changed_[at] = changed_.back();
    changed_[at]->second.changed_at = at;
    changed_.pop_back();
    node.second.changed_at = kUnchanged;
  }

  Rows rows_;  // nodes never move, so changed_ may point at them
  std::vector<Node*> changed_;       // rows written since the last flush
  std::vector<std::string> erased_;  // keys erased since the last flush
};

// Runs a row loader, turning a JSON error into a Status.
template <typename F>
Status load_guarded(std::string_view key, F&& load) {
  try {
    if (!load()) return Error{"projection_row_unknown", std::string(key), "no table holds this row"};
  } catch (const nlohmann::json::exception& e) {
    return Error{"projection_row_corrupt", std::string(key), e.what()};
  }
  return ok_status();
}

// A log position as 16 hex digits: keys that sort in position order.
inline std::string position_key(std::uint64_t position) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0 && position != 0; --i, position >>= 4) text[static_cast<std::size_t>(i)] = kHex[position & 0xF];
  return text;
}

}  // namespace spine::projections::internal

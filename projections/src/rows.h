// Internal: the row mechanism every in-memory projection uses. A
// TrackedTable keeps typed rows in memory with the keys changed since the
// last flush; a flush writes each changed row with its current value, and an
// erased row as an empty value (a tombstone), so the rows on disk are the
// same bytes however the log was cut into batches. Values are JSON
// (nlohmann::json objects keep their keys sorted).
#pragma once

#include <cassert>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <string>
#include <string_view>

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

template <typename Row>
class TrackedTable {
  using Rows = std::map<std::string, Row, std::less<>>;

 public:
  TrackedTable() = default;
  // Not copyable: the index holds iterators into this table's own map (a
  // move keeps them valid).
  TrackedTable(const TrackedTable&) = delete;
  TrackedTable& operator=(const TrackedTable&) = delete;
  TrackedTable(TrackedTable&&) = default;
  TrackedTable& operator=(TrackedTable&&) = default;

  // The row at `key` (created empty), marked changed.
  Row& write(const std::string& key) {
    changed_.insert(key);
    return slot(key)->second;
  }
  void erase(const std::string& key) {
    changed_.insert(key);
    remove(key);
  }
  const Row* find(std::string_view key) const {
    auto found = index_.find(key);
    return found == index_.end() ? nullptr : &found->second->second;
  }
  bool contains(std::string_view key) const { return index_.contains(key); }
  // In key order (queries list them so).
  const Rows& rows() const { return rows_; }

  void flush(std::string_view prefix, RowSink& sink) {
    std::string key;
    for (const std::string& changed : changed_) {
      key.assign(prefix).append(changed);
      auto found = index_.find(changed);
      sink.put(key, found == index_.end() ? std::string() : row_text(found->second->second));
    }
    changed_.clear();
  }
  void write_all(std::string_view prefix, RowSink& sink) const {
    std::string key;
    for (const auto& [row_key, row] : rows_) {
      key.assign(prefix).append(row_key);
      sink.put(key, row_text(row));
    }
  }
  // Restores a row written by flush or write_all; an empty value (a
  // tombstone) erases it, so rows loaded in write order give the state.
  void load(std::string_view key, std::string_view value) {
    if (value.empty()) {
      remove(key);
      return;
    }
    slot(key)->second = nlohmann::json::parse(value).get<Row>();
  }

 private:
  typename Rows::iterator slot(std::string_view key) {
    auto found = index_.find(key);
    if (found != index_.end()) return found->second;
    auto it = rows_.emplace(std::string(key), Row{}).first;
    index_.emplace(std::string_view(it->first), it);
    return it;
  }
  void remove(std::string_view key) {
    auto found = index_.find(key);
    if (found == index_.end()) return;
    const auto it = found->second;
    index_.erase(found);  // its key views the node's: erased first
    rows_.erase(it);
  }

  Rows rows_;
  // Finds a row by one hash instead of a walk of string comparisons down the
  // tree; keys view the map's own (node keys never move).
  std::unordered_map<std::string_view, typename Rows::iterator> index_;
  std::unordered_set<std::string> changed_;  // hashed: a write of a known key costs no allocation
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

// Internal: the row mechanism every in-memory projection uses. A
// TrackedTable keeps typed rows in memory with the keys changed since the
// last flush; a flush writes each changed row with its current value, and an
// erased row as an empty value (a tombstone), so the rows on disk are the
// same bytes however the log was cut into batches. Values are JSON
// (nlohmann::json objects keep their keys sorted).
#pragma once

#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "spine/projections/projection.h"

namespace spine::projections::internal {

template <typename Row>
class TrackedTable {
 public:
  // The row at `key` (created empty), marked changed.
  Row& write(const std::string& key) {
    changed_.insert(key);
    return rows_[key];
  }
  void erase(const std::string& key) {
    changed_.insert(key);
    rows_.erase(key);
  }
  const Row* find(std::string_view key) const {
    auto it = rows_.find(key);
    return it == rows_.end() ? nullptr : &it->second;
  }
  bool contains(std::string_view key) const { return rows_.find(key) != rows_.end(); }
  const std::map<std::string, Row, std::less<>>& rows() const { return rows_; }

  void flush(std::string_view prefix, RowSink& sink) {
    std::string key;
    for (const std::string& changed : changed_) {
      key.assign(prefix).append(changed);
      auto it = rows_.find(changed);
      sink.put(key, it == rows_.end() ? std::string() : nlohmann::json(it->second).dump());
    }
    changed_.clear();
  }
  void write_all(std::string_view prefix, RowSink& sink) const {
    std::string key;
    for (const auto& [row_key, row] : rows_) {
      key.assign(prefix).append(row_key);
      sink.put(key, nlohmann::json(row).dump());
    }
  }
  // Restores a row written by flush or write_all; an empty value (a
  // tombstone) erases it, so rows loaded in write order give the state.
  void load(std::string_view key, std::string_view value) {
    if (value.empty()) {
      auto it = rows_.find(key);
      if (it != rows_.end()) rows_.erase(it);
      return;
    }
    rows_[std::string(key)] = nlohmann::json::parse(value).get<Row>();
  }

 private:
  std::map<std::string, Row, std::less<>> rows_;
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
  char text[17];
  std::snprintf(text, sizeof text, "%016" PRIx64, position);
  return text;
}

}  // namespace spine::projections::internal

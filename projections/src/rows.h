// Internal: a table of typed rows kept in memory, with the keys changed since
// the last flush. Rows are serialized as JSON (nlohmann::json objects keep
// their keys sorted, so equal rows give equal bytes).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "spine/projections/projection.h"

namespace spine::projections::internal {

template <typename Row>
class RowTable {
 public:
  // The row at `key` (created empty), marked changed.
  Row& write(std::string_view key) {
    auto it = rows_.find(key);
    if (it == rows_.end()) it = rows_.emplace(std::string(key), Row{}).first;
    changed_.insert(it->first);
    return it->second;
  }
  const Row* find(std::string_view key) const {
    auto it = rows_.find(key);
    return it == rows_.end() ? nullptr : &it->second;
  }
  const std::map<std::string, Row, std::less<>>& rows() const { return rows_; }

  void take_changed(std::string_view prefix, RowSink& sink) {
    std::string key;
    for (const std::string& changed : changed_) {
      key.assign(prefix).append(changed);
      sink.put(key, nlohmann::json(rows_.at(changed)).dump());
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
  // Loads a row written under `prefix`; false if `key` is not one of ours.
  bool load(std::string_view prefix, std::string_view key, std::string_view value) {
    if (!key.starts_with(prefix)) return false;
    rows_[std::string(key.substr(prefix.size()))] = nlohmann::json::parse(value).get<Row>();
    return true;
  }

 private:
  std::map<std::string, Row, std::less<>> rows_;
  std::set<std::string, std::less<>> changed_;
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

}  // namespace spine::projections::internal

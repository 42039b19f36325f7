// Tampering with a closed store's log underneath RocksDB, as an attacker with
// file access would: the tests of `spine verify` and of verify_store use it.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace spine::testing {

// The log family's key of `position` (8 bytes big-endian).
inline std::string log_key(std::uint64_t position) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i) {
    k[static_cast<std::size_t>(i)] = static_cast<char>(position & 0xff);
    position >>= 8;
  }
  return k;
}

// Opens the store's RocksDB directly and hands `tamper` the log column family.
inline void tamper_with(const std::string& dir,
                        const std::function<void(rocksdb::DB&, rocksdb::ColumnFamilyHandle*)>& tamper) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir, families, &handles, &db).ok());
  rocksdb::ColumnFamilyHandle* log = nullptr;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "log") log = handles[i];
  }
  ASSERT_NE(log, nullptr);
  tamper(*db, log);
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  delete db;
}

}  // namespace spine::testing

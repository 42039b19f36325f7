#include "spine/eventstore/chain_verifier.h"

#include <rocksdb/db.h>

#include <memory>

#include "keys.h"

namespace spine::store {

bool ChainVerifier::reject(std::uint64_t position, std::string reason) {
  report_.ok = false;
  report_.bad_position = position;
  report_.reason = std::move(reason);
  return false;
}

bool ChainVerifier::check(std::uint64_t key_position, const std::string& bytes) {
  if (!report_.ok) return false;
  const std::uint64_t expected = report_.head_position + 1;
  if (key_position != expected) {
    return reject(expected, "record " + std::to_string(expected) + " is missing (next stored is " +
                              std::to_string(key_position) + ")");
  }
  auto record = RecordView::parse(bytes, key_position);
  if (!record) return reject(key_position, record.error().message);
  if (record->prev_hash() != prev_hash_) {
    return reject(key_position, "previous-hash link does not match the hash of record " +
                                  std::to_string(key_position - 1));
  }
  const Digest computed = record->compute_hash();
  if (computed != record->hash()) {
    return reject(key_position, "content does not match its hash (stored " + to_hex(record->hash()) +
                                  ", computed " + to_hex(computed) + ")");
  }
  prev_hash_ = computed;
  report_.head_position = key_position;
  report_.head_hash = computed;
  ++report_.records_checked;
  return true;
}

bool ChainVerifier::check_end(std::uint64_t expected_head_position, const Digest& expected_head_hash) {
  if (!report_.ok) return false;
  if (report_.head_position != expected_head_position) {
    if (report_.head_position < expected_head_position) {
      return reject(report_.head_position + 1, "log ends at position " + std::to_string(report_.head_position) +
                                                 " but the head marker says " + std::to_string(expected_head_position));
    }
    return reject(expected_head_position + 1, "records stored past the head marker " +
                                                std::to_string(expected_head_position));
  }
  if (report_.head_hash != expected_head_hash) {
    return reject(report_.head_position, "the last record's hash differs from the head marker's");
  }
  return true;
}

Result<VerifyReport> verify_store(const std::string& dir, const std::function<void(std::uint64_t)>& on_record) {
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : {rocksdb::kDefaultColumnFamilyName.c_str(), keys::kLogFamily, keys::kStreamsFamily,
                           keys::kCommandsFamily, keys::kMetaFamily}) {
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  rocksdb::Options options;
  options.create_if_missing = false;
  // A store killed while it was being created has its families in creation
  // order up to the kill: nothing can have been appended (appends start after
  // the open that creates them all returns), so its log is empty and intact.
  std::vector<std::string> present;
  if (rocksdb::DB::ListColumnFamilies(options, dir, &present).ok() && present.size() < families.size()) {
    bool creation_prefix = true;
    for (std::size_t i = 0; i < present.size(); ++i) creation_prefix = creation_prefix && present[i] == families[i].name;
    if (creation_prefix) return VerifyReport{};
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::OpenForReadOnly(options, dir, families, &handles, &raw);
  if (!status.ok()) return Error{"io_error", "data", "cannot open " + dir + ": " + status.ToString()};
  std::unique_ptr<rocksdb::DB> db(raw);

  ChainVerifier verifier;
  rocksdb::ReadOptions read_options;
  read_options.verify_checksums = true;
  read_options.fill_cache = false;
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, handles[1]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto position = keys::parse_position_key(it->key().ToStringView());
      if (!position) {
        verifier.reject(verifier.report().head_position + 1, "a log key is not an 8-byte position");
        break;
      }
      if (!verifier.check(*position, it->value().ToString())) break;
      if (on_record) on_record(*position);
    }
    if (!it->status().ok()) {
      for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
      return Error{"io_error", "data", "reading the log: " + it->status().ToString()};
    }
  }
  std::string head_value;
  status = db->Get(rocksdb::ReadOptions(), handles[4], keys::kHeadKey, &head_value);
  Head head;
  if (status.ok()) {
    if (auto decoded = keys::decode_head(head_value)) head = *decoded;
  }
  verifier.check_end(head.position, head.hash);
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  return verifier.report();
}

}  // namespace spine::store

// RocksDB's diagnostics, sent to Spine's standard error instead of a LOG file
// in the database folder. RocksDB's own file logger asserts (Debian builds it
// with assertions) when a write to that file fails a second time, which a full
// disk makes happen; this logger cannot fail: a line it cannot write is dropped.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rocksdb {
class Logger;
}

namespace spine::store {

// The least severe RocksDB message that is written; RocksDB's INFO level
// reports every flush and compaction, so the default is warn.
enum class RocksLogLevel { debug, info, warn, error };

std::optional<RocksLogLevel> parse_rocks_log_level(std::string_view text);

// A logger whose lines read "rocksdb <name> <LEVEL>: message", at most
// 1 KiB each (longer messages are cut).
std::shared_ptr<rocksdb::Logger> make_rocksdb_logger(std::string name, RocksLogLevel level);

}  // namespace spine::store

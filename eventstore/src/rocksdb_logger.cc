#include "spine/eventstore/rocksdb_logger.h"

#include <rocksdb/env.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace spine::store {

namespace {

constexpr std::size_t kMaxLineBytes = 1024;

rocksdb::InfoLogLevel to_rocks(RocksLogLevel level) {
  switch (level) {
    case RocksLogLevel::debug: return rocksdb::InfoLogLevel::DEBUG_LEVEL;
    case RocksLogLevel::info: return rocksdb::InfoLogLevel::INFO_LEVEL;
    case RocksLogLevel::warn: return rocksdb::InfoLogLevel::WARN_LEVEL;
    case RocksLogLevel::error: return rocksdb::InfoLogLevel::ERROR_LEVEL;
  }
  return rocksdb::InfoLogLevel::WARN_LEVEL;
}

const char* level_name(rocksdb::InfoLogLevel level) {
  switch (level) {
    case rocksdb::InfoLogLevel::DEBUG_LEVEL: return "DEBUG";
    case rocksdb::InfoLogLevel::INFO_LEVEL: return "INFO";
    case rocksdb::InfoLogLevel::WARN_LEVEL: return "WARN";
    case rocksdb::InfoLogLevel::ERROR_LEVEL: return "ERROR";
    case rocksdb::InfoLogLevel::FATAL_LEVEL: return "FATAL";
    default: return "HEADER";
  }
}

// Formats one line in a fixed buffer and hands it to stderr with one write(2),
// so lines from RocksDB's threads never interleave and nothing is allocated.
class StderrLogger final : public rocksdb::Logger {
 public:
  StderrLogger(std::string name, rocksdb::InfoLogLevel level) : rocksdb::Logger(level), name_(std::move(name)) {}

  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[kMaxLineBytes];
    int used = std::snprintf(line, sizeof line, "rocksdb %s %s: ", name_.c_str(), level_name(level));
    if (used < 0) return;
    std::size_t length = std::min(static_cast<std::size_t>(used), sizeof line - 2);
    const int body = std::vsnprintf(line + length, sizeof line - 1 - length, format, ap);
    if (body > 0) length = std::min(length + static_cast<std::size_t>(body), sizeof line - 2);
    while (length > 0 && line[length - 1] == '\n') --length;  // some messages bring their own
    line[length++] = '\n';
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line, length);  // a lost line is not an error
  }
  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }

 private:
  std::string name_;
};

}  // namespace

std::optional<RocksLogLevel> parse_rocks_log_level(std::string_view text) {
  if (text == "debug") return RocksLogLevel::debug;
  if (text == "info") return RocksLogLevel::info;
  if (text == "warn") return RocksLogLevel::warn;
  if (text == "error") return RocksLogLevel::error;
  return std::nullopt;
}

std::shared_ptr<rocksdb::Logger> make_rocksdb_logger(std::string name, RocksLogLevel level) {
  return std::make_shared<StderrLogger>(std::move(name), to_rocks(level));
}

}  // namespace spine::store

// Key and small-value encodings of the RocksDB layout (docs/storage.md).
// Column families: log, streams, heads, commands, meta.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spine/eventstore/event_store.h"

namespace spine::store::keys {

inline constexpr const char* kLogFamily = "log";
inline constexpr const char* kStreamsFamily = "streams";
inline constexpr const char* kCommandsFamily = "commands";
inline constexpr const char* kMetaFamily = "meta";
inline constexpr const char* kHeadKey = "head";
inline constexpr const char* kFormatKey = "format";
inline constexpr const char* kFormatVersion = "spine-log-1";

// Writes `value` big-endian into out[0..8): key order is numeric order.
void encode_u64(char* out, std::uint64_t value);
void append_u64(std::string& out, std::uint64_t value);  // big-endian
std::optional<std::uint64_t> read_u64(std::string_view in, std::size_t offset = 0);

std::string position_key(std::uint64_t position);
std::optional<std::uint64_t> parse_position_key(std::string_view key);

// Stream index: one entry per stream per append (a "run"). Key: stream id, a
// NUL separator (stream ids never hold NUL), the run's first version
// (big-endian). Value: the global positions of the run's events, 8 bytes
// big-endian each, in version order.
std::string stream_run_key(std::string_view stream_id, std::uint64_t first_version);
inline constexpr std::size_t kRunVersionBytes = 8;  // the first version ending every run key
std::string stream_index_prefix(std::string_view stream_id);
// The key after every run of the stream (SeekForPrev target for its head).
std::string stream_index_last_key(std::string_view stream_id);
// The smallest key past every run of the stream (Seek target for the next stream).
std::string stream_index_next_stream(std::string_view stream_id);

std::string encode_head(const Head& head);
std::optional<Head> decode_head(std::string_view value);

std::string encode_append_result(const AppendResult& result);
std::optional<AppendResult> decode_append_result(std::string_view value);

}  // namespace spine::store::keys

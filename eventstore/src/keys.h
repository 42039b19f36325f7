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
inline constexpr const char* kHeadsFamily = "heads";
inline constexpr const char* kCommandsFamily = "commands";
inline constexpr const char* kMetaFamily = "meta";
inline constexpr const char* kHeadKey = "head";
inline constexpr const char* kFormatKey = "format";
inline constexpr const char* kFormatVersion = "spine-log-1";

void append_u64(std::string& out, std::uint64_t value);  // big-endian
std::optional<std::uint64_t> read_u64(std::string_view in, std::size_t offset = 0);

std::string position_key(std::uint64_t position);
std::optional<std::uint64_t> parse_position_key(std::string_view key);

// stream id, a NUL separator (stream ids never hold NUL), big-endian version.
std::string stream_index_key(std::string_view stream_id, std::uint64_t version);
std::string stream_index_prefix(std::string_view stream_id);

std::string encode_head(const Head& head);
std::optional<Head> decode_head(std::string_view value);

std::string encode_append_result(const AppendResult& result);
std::optional<AppendResult> decode_append_result(std::string_view value);

}  // namespace spine::store::keys

#include "keys.h"

#include <cstring>

namespace spine::store::keys {

void encode_u64(char* out, std::uint64_t value) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

void append_u64(std::string& out, std::uint64_t value) {
  char bytes[8];
  encode_u64(bytes, value);
  out.append(bytes, 8);
}

std::optional<std::uint64_t> read_u64(std::string_view in, std::size_t offset) {
  if (in.size() < offset + 8) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<std::uint8_t>(in[offset + i]);
  return value;
}

std::string position_key(std::uint64_t position) {
  std::string key;
  append_u64(key, position);
  return key;
}

std::optional<std::uint64_t> parse_position_key(std::string_view key) {
  if (key.size() != 8) return std::nullopt;
  return read_u64(key);
}

std::string stream_index_prefix(std::string_view stream_id) {
  std::string key(stream_id);
  key.push_back('\0');
  return key;
}

std::string stream_run_key(std::string_view stream_id, std::uint64_t first_version) {
  std::string key = stream_index_prefix(stream_id);
  append_u64(key, first_version);
  return key;
}

std::string stream_index_last_key(std::string_view stream_id) {
  return stream_run_key(stream_id, UINT64_MAX);
}

std::string stream_index_next_stream(std::string_view stream_id) {
  std::string key(stream_id);
  key.push_back('\x01');
  return key;
}

std::string encode_head(const Head& head) {
  std::string value;
  append_u64(value, head.position);
  value.append(reinterpret_cast<const char*>(head.hash.data()), head.hash.size());
  append_u64(value, static_cast<std::uint64_t>(head.recorded_at_us));
  return value;
}

std::optional<Head> decode_head(std::string_view value) {
  if (value.size() != 8 + 32 + 8) return std::nullopt;
  Head head;
  head.position = *read_u64(value, 0);
  std::memcpy(head.hash.data(), value.data() + 8, 32);
  head.recorded_at_us = static_cast<std::int64_t>(*read_u64(value, 40));
  return head;
}

// Layout: first, last, stream count, then per stream: id length, id, first,
// last; then, when the request had one, digest length and digest.
std::string encode_append_result(const AppendResult& result) {
  std::string value;
  append_u64(value, result.first_position);
  append_u64(value, result.last_position);
  append_u64(value, result.streams.size());
  for (const auto& stream : result.streams) {
    append_u64(value, stream.stream_id.size());
    value += stream.stream_id;
    append_u64(value, stream.first_version);
    append_u64(value, stream.last_version);
  }
  if (!result.request_digest.empty()) {
    append_u64(value, result.request_digest.size());
    value += result.request_digest;
  }
  return value;
}

std::optional<AppendResult> decode_append_result(std::string_view value) {
  AppendResult result;
  auto first = read_u64(value, 0);
  auto last = read_u64(value, 8);
  auto count = read_u64(value, 16);
  if (!first || !last || !count) return std::nullopt;
  result.first_position = *first;
  result.last_position = *last;
  std::size_t offset = 24;
  for (std::uint64_t i = 0; i < *count; ++i) {
    auto length = read_u64(value, offset);
    if (!length || value.size() < offset + 8 + *length + 16) return std::nullopt;
    StreamWrite write;
    write.stream_id = std::string(value.substr(offset + 8, *length));
    offset += 8 + *length;
    write.first_version = *read_u64(value, offset);
    write.last_version = *read_u64(value, offset + 8);
    offset += 16;
    result.streams.push_back(std::move(write));
  }
  if (offset != value.size()) {
    auto length = read_u64(value, offset);
    if (!length || *length == 0 || value.size() != offset + 8 + *length) return std::nullopt;
    result.request_digest = std::string(value.substr(offset + 8));
  }
  return result;
}

}  // namespace spine::store::keys

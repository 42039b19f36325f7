// One record of the log: the events a caller hands in (NewEvent) and the
// stored, hash-chained envelope a reader gets back (RecordView).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "spine/result.h"

namespace spine::store {

using Digest = std::array<std::uint8_t, 32>;   // SHA-256
using EventId = std::array<std::uint8_t, 16>;  // zeros: let the store choose

std::string to_hex(const std::uint8_t* bytes, std::size_t size);
template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& bytes) { return to_hex(bytes.data(), N); }

// An event to append. The store adds position, stream version, recorded-at,
// command id, actor and the hashes.
struct NewEvent {
  std::string stream_id;
  std::string event_type;
  std::string payload;             // opaque bytes, at most Limits::max_event_bytes
  std::uint32_t schema_version = 1;
  std::int64_t occurred_at_us = 0; // 0: the store uses recorded-at
  EventId event_id{};              // all zeros: the store generates a random one
  std::string causation_id;
};

// A stored record. The envelope has been verified structurally (FlatBuffers
// verifier) and against its key before a reader sees it; the accessors are
// views into its bytes. The bytes are shared, not copied: records read
// together (EventStore::read_all) share one buffer, which lives as long as
// any of them does. Copying a RecordView is cheap.
class RecordView {
 public:
  // Checks `bytes` as a Record envelope stored under `position`.
  static Result<RecordView> parse(std::string bytes, std::uint64_t position);
  // The same for bytes owned by `owner`; the record keeps `owner` alive.
  // `bytes` must start 8-byte aligned (FlatBuffers reads scalars in place).
  static Result<RecordView> parse_shared(std::shared_ptr<const void> owner, std::string_view bytes,
                                         std::uint64_t position);

  std::uint64_t position() const;
  std::string_view stream_id() const;
  std::uint64_t stream_version() const;
  std::string_view event_type() const;
  EventId event_id() const;
  std::string_view command_id() const;
  std::string_view causation_id() const;
  std::string_view actor() const;
  std::int64_t occurred_at_us() const;
  std::int64_t recorded_at_us() const;
  std::uint32_t schema_version() const;
  std::string_view payload() const;
  Digest prev_hash() const;
  Digest hash() const;

  // Recomputes the SHA-256 of the canonical fields (docs/storage.md).
  Digest compute_hash() const;

  // The envelope's bytes, as stored.
  std::string_view bytes() const { return bytes_; }

 private:
  RecordView(std::shared_ptr<const void> owner, std::string_view bytes)
      : owner_(std::move(owner)), bytes_(bytes) {}
  const void* root() const;
  std::shared_ptr<const void> owner_;  // keeps the bytes alive
  std::string_view bytes_;
};

}  // namespace spine::store

#include "record_codec.h"

#include <openssl/evp.h>

#include <cassert>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "spine/fb/record_generated.h"

namespace spine::store {

namespace {

constexpr std::string_view kHashDomainTag = "spine.record.v1";

// One reusable EVP context per thread; SHA-256 runs on the CPU's SHA
// extensions through OpenSSL. Small fields are gathered into a buffer and
// handed to OpenSSL together: each EVP_DigestUpdate call has a fixed cost, and
// a record's canonical encoding has twenty fields. Large ones (a big payload)
// go to OpenSSL directly instead of being copied.
class Sha256 {
 public:
  // The digest is fetched once: OpenSSL 3 would otherwise look the algorithm
  // up again on every EVP_sha256() initialisation.
  Sha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || ctx_ == nullptr) throw std::bad_alloc();
    pending_.reserve(2 * kDirectFrom);
  }
  ~Sha256() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void begin() {
    [[maybe_unused]] int rc = EVP_DigestInit_ex2(ctx_, md_, nullptr);
    assert(rc == 1);
    pending_.clear();
  }
  void bytes(const void* data, std::size_t size) {
    if (size >= kDirectFrom) {
      hand_over_pending();
      EVP_DigestUpdate(ctx_, data, size);
    } else {
      pending_.append(static_cast<const char*>(data), size);
    }
  }
  void u64(std::uint64_t value) {
    char le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<char>(value >> (8 * i));
    bytes(le, 8);
  }
  void u32(std::uint32_t value) {
    char le[4];
    for (int i = 0; i < 4; ++i) le[i] = static_cast<char>(value >> (8 * i));
    bytes(le, 4);
  }
  void text(std::string_view value) {
    u32(static_cast<std::uint32_t>(value.size()));
    bytes(value.data(), value.size());
  }
  Digest finish() {
    hand_over_pending();
    Digest digest{};
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_, digest.data(), &size);
    assert(size == digest.size());
    return digest;
  }

 private:
  static constexpr std::size_t kDirectFrom = 4096;  // fields this large are not copied

  void hand_over_pending() {
    if (pending_.empty()) return;
    EVP_DigestUpdate(ctx_, pending_.data(), pending_.size());
    pending_.clear();
  }

  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
  std::string pending_;  // small fields not yet handed to OpenSSL (names are at most a few KiB)
};

}  // namespace

std::string to_hex(const std::uint8_t* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    hex[2 * i] = kDigits[bytes[i] >> 4];
    hex[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return hex;
}

namespace codec {

Digest hash_fields(const RecordFields& f) {
  thread_local Sha256 sha;
  sha.begin();
  sha.bytes(kHashDomainTag.data(), kHashDomainTag.size());
  sha.u64(f.position);
  sha.text(f.stream_id);
  sha.u64(f.stream_version);
  sha.text(f.event_type);
  sha.bytes(f.event_id.data(), f.event_id.size());
  sha.text(f.command_id);
  sha.text(f.causation_id);
  sha.text(f.actor);
  sha.u64(static_cast<std::uint64_t>(f.occurred_at_us));
  sha.u64(static_cast<std::uint64_t>(f.recorded_at_us));
  sha.u32(f.schema_version);
  sha.text(f.payload);
  sha.bytes(f.prev_hash.data(), f.prev_hash.size());
  return sha.finish();
}

void build_record(flatbuffers::FlatBufferBuilder& builder, const RecordFields& f, const Digest& hash) {
  builder.Clear();
  auto stream_id = builder.CreateString(f.stream_id.data(), f.stream_id.size());
  auto event_type = builder.CreateString(f.event_type.data(), f.event_type.size());
  auto command_id = builder.CreateString(f.command_id.data(), f.command_id.size());
  auto causation_id = builder.CreateString(f.causation_id.data(), f.causation_id.size());
  auto actor = builder.CreateString(f.actor.data(), f.actor.size());
  auto payload = builder.CreateVector(reinterpret_cast<const std::uint8_t*>(f.payload.data()), f.payload.size());
  fb::Id16 event_id(flatbuffers::span<const std::uint8_t, 16>(f.event_id.data(), 16));
  fb::Digest32 prev_hash(flatbuffers::span<const std::uint8_t, 32>(f.prev_hash.data(), 32));
  fb::Digest32 own_hash(flatbuffers::span<const std::uint8_t, 32>(hash.data(), 32));
  fb::RecordBuilder record(builder);
  record.add_position(f.position);
  record.add_stream_id(stream_id);
  record.add_stream_version(f.stream_version);
  record.add_event_type(event_type);
  record.add_event_id(&event_id);
  record.add_command_id(command_id);
  record.add_causation_id(causation_id);
  record.add_actor(actor);
  record.add_occurred_at_us(f.occurred_at_us);
  record.add_recorded_at_us(f.recorded_at_us);
  record.add_schema_version(f.schema_version);
  record.add_payload(payload);
  record.add_prev_hash(&prev_hash);
  record.add_hash(&own_hash);
  builder.Finish(record.Finish(), fb::RecordIdentifier());
}

}  // namespace codec

// ---- RecordView ----------------------------------------------------------

namespace {
const fb::Record* as_record(const void* root) { return static_cast<const fb::Record*>(root); }

std::string_view view(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->data(), s->size());
}

template <std::size_t N, typename Struct>
std::array<std::uint8_t, N> copy_bytes(const Struct* s) {
  std::array<std::uint8_t, N> out{};
  if (s != nullptr) std::memcpy(out.data(), s->bytes()->data(), N);
  return out;
}
}  // namespace

Result<RecordView> RecordView::parse(std::string bytes, std::uint64_t position) {
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  const std::string_view view(*owned);
  return parse_shared(std::move(owned), view, position);
}

Result<RecordView> RecordView::parse_shared(std::shared_ptr<const void> owner, std::string_view bytes,
                                            std::uint64_t position) {
  assert(reinterpret_cast<std::uintptr_t>(bytes.data()) % 8 == 0);
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (!fb::VerifyRecordBuffer(verifier)) {
    return Error{"corruption", "record", "record at position " + std::to_string(position) +
                                            " is not a valid envelope"};
  }
  RecordView record(std::move(owner), bytes);
  const auto* root = as_record(record.root());
  if (root->position() != position) {
    return Error{"corruption", "record",
                 "record stored at position " + std::to_string(position) + " claims position " +
                     std::to_string(root->position())};
  }
  if (root->prev_hash() == nullptr || root->hash() == nullptr || root->event_id() == nullptr) {
    return Error{"corruption", "record", "record at position " + std::to_string(position) + " lacks a hash or id"};
  }
  return record;
}

const void* RecordView::root() const { return fb::GetRecord(bytes_.data()); }
std::uint64_t RecordView::position() const { return as_record(root())->position(); }
std::string_view RecordView::stream_id() const { return view(as_record(root())->stream_id()); }
std::uint64_t RecordView::stream_version() const { return as_record(root())->stream_version(); }
std::string_view RecordView::event_type() const { return view(as_record(root())->event_type()); }
EventId RecordView::event_id() const { return copy_bytes<16>(as_record(root())->event_id()); }
std::string_view RecordView::command_id() const { return view(as_record(root())->command_id()); }
std::string_view RecordView::causation_id() const { return view(as_record(root())->causation_id()); }
std::string_view RecordView::actor() const { return view(as_record(root())->actor()); }
std::int64_t RecordView::occurred_at_us() const { return as_record(root())->occurred_at_us(); }
std::int64_t RecordView::recorded_at_us() const { return as_record(root())->recorded_at_us(); }
std::uint32_t RecordView::schema_version() const { return as_record(root())->schema_version(); }
std::string_view RecordView::payload() const {
  const auto* payload = as_record(root())->payload();
  return payload == nullptr ? std::string_view()
                            : std::string_view(reinterpret_cast<const char*>(payload->data()), payload->size());
}
Digest RecordView::prev_hash() const { return copy_bytes<32>(as_record(root())->prev_hash()); }
Digest RecordView::hash() const { return copy_bytes<32>(as_record(root())->hash()); }

Digest RecordView::compute_hash() const {
  codec::RecordFields fields;
  fields.position = position();
  fields.stream_id = stream_id();
  fields.stream_version = stream_version();
  fields.event_type = event_type();
  fields.event_id = event_id();
  fields.command_id = command_id();
  fields.causation_id = causation_id();
  fields.actor = actor();
  fields.occurred_at_us = occurred_at_us();
  fields.recorded_at_us = recorded_at_us();
  fields.schema_version = schema_version();
  fields.payload = payload();
  fields.prev_hash = prev_hash();
  return codec::hash_fields(fields);
}

}  // namespace spine::store

// libFuzzer: the record envelope decoder (eventstore/src/record_codec.cc) and
// the chain verifier that reads the same bytes. The first byte picks the
// position the bytes are said to be stored under (1 to 4), the rest is the
// envelope. Whatever the bytes: parsing gives a record or a refusal; a record
// answers every accessor, and re-encoding its fields with its hash gives a
// record with the same fields; the verifier accepts only what parses, at its
// own position, with a hash that is the hash of its fields.
#include <flatbuffers/flatbuffers.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "record_codec.h"
#include "spine/eventstore/chain_verifier.h"
#include "spine/eventstore/record.h"

namespace {

using spine::store::RecordView;

spine::store::codec::RecordFields fields_of(const RecordView& r) {
  spine::store::codec::RecordFields f;
  f.position = r.position();
  f.stream_id = r.stream_id();
  f.stream_version = r.stream_version();
  f.event_type = r.event_type();
  f.event_id = r.event_id();
  f.command_id = r.command_id();
  f.causation_id = r.causation_id();
  f.actor = r.actor();
  f.occurred_at_us = r.occurred_at_us();
  f.recorded_at_us = r.recorded_at_us();
  f.schema_version = r.schema_version();
  f.payload = r.payload();
  f.prev_hash = r.prev_hash();
  return f;
}

bool same_fields(const RecordView& a, const RecordView& b) {
  return a.position() == b.position() && a.stream_id() == b.stream_id() && a.stream_version() == b.stream_version() &&
         a.event_type() == b.event_type() && a.event_id() == b.event_id() && a.command_id() == b.command_id() &&
         a.causation_id() == b.causation_id() && a.actor() == b.actor() && a.occurred_at_us() == b.occurred_at_us() &&
         a.recorded_at_us() == b.recorded_at_us() && a.schema_version() == b.schema_version() &&
         a.payload() == b.payload() && a.prev_hash() == b.prev_hash() && a.hash() == b.hash();
}

void check_reencoding(const RecordView& record) {
  flatbuffers::FlatBufferBuilder builder;
  spine::store::codec::build_record(builder, fields_of(record), record.hash());
  std::string bytes(reinterpret_cast<const char*>(builder.GetBufferPointer()), builder.GetSize());
  auto again = RecordView::parse(std::move(bytes), record.position());
  if (!again || !same_fields(record, *again)) std::abort();
  if (again->compute_hash() != record.compute_hash()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint64_t position = 1 + data[0] % 4;
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  auto record = RecordView::parse(bytes, position);
  if (!record && record.error().code.empty()) std::abort();
  if (record) check_reencoding(*record);

  spine::store::ChainVerifier verifier;
  verifier.start_after(position - 1, record ? record->prev_hash() : spine::store::Digest{});
  const bool accepted = verifier.check(position, bytes);
  if (accepted && (!record || record->position() != position || record->compute_hash() != record->hash())) std::abort();
  if (!accepted && verifier.report().reason.empty()) std::abort();
  return 0;
}

// libFuzzer: an export file read by `verify --file` and `import`
// (tools/export/export_format.cc). The bytes are the file. Whatever they are,
// the reader gives envelopes, then the end or an error naming a position, and
// never throws. A file it reads to the end verified: every envelope it gave
// parses at consecutive positions, each linked to the one before, and the
// report is ok; an error leaves a report that is not ok and says why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

#include "export_format.h"
#include "spine/eventstore/record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream file(std::string(reinterpret_cast<const char*>(data), size));
  spine::cli::ExportReader reader(file);
  std::optional<spine::store::RecordView> previous;
  for (;;) {
    auto next = reader.next();
    if (!next) {
      if (reader.report().ok || reader.report().reason.empty() || next.error().code != "corruption") std::abort();
      return 0;
    }
    if (!next->has_value()) break;
    const std::uint64_t position = reader.report().head_position;  // the last good record: this one
    if (previous && position != previous->position() + 1) std::abort();
    auto record = spine::store::RecordView::parse(**next, position);
    if (!record) std::abort();
    if (previous && record->prev_hash() != previous->hash()) std::abort();
    previous = std::move(*record);
  }
  if (!reader.report().ok) std::abort();
  if (previous && reader.report().head_hash != previous->hash()) std::abort();
  return 0;
}

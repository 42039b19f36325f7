// A read model built from the log. The runner (runner.h) feeds every record,
// in position order, to each projection's apply(); a projection keeps its
// state in memory as rows (key -> serialized value) and hands the rows it
// changed to the runner, which writes them together with the projection's
// checkpoint in one RocksDB write. Rows are the projection's whole persistent
// state: load_row() of every row written gives back the same projection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "spine/domain/events.h"
#include "spine/eventstore/record.h"
#include "spine/result.h"

namespace spine::projections {

// One record and its decoded event. `event` is null when the payload did not
// decode (the error is in `decode_error`); a projection that needs the body
// then fails on this record, naming it.
struct EventContext {
  const store::RecordView& record;
  const shop::EventBodyUnion* event;
  const Error* decode_error;

  std::uint64_t position() const { return record.position(); }
  std::int64_t occurred_at_us() const { return record.occurred_at_us(); }
};

// Receives rows (key, value) from a projection.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void put(std::string_view key, std::string_view value) = 0;
  // Appends `bytes` to the row's value (a missing row counts as empty): an
  // index that only grows writes just its new entries, and the stored value
  // is the same bytes however the appends were grouped into batches.
  virtual void append(std::string_view key, std::string_view bytes) = 0;
};

class Projection {
 public:
  virtual ~Projection() = default;

  // A stable name ("stock") and the version of its row format and logic:
  // a stored projection of another version is rebuilt from position 0.
  virtual std::string_view name() const = 0;
  virtual std::uint32_t version() const = 0;

  // Folds one record in. An error stops this projection at this record (the
  // runner discards its unflushed state); the others go on.
  virtual Status apply(const EventContext& context) = 0;

  // Moves the rows changed since the last call into `sink`, serialized.
  virtual void take_changed_rows(RowSink& sink) = 0;
  // Every row of the state (snapshots, byte-for-byte comparison).
  virtual void write_all_rows(RowSink& sink) const = 0;
  // Restores one row written by take_changed_rows or write_all_rows. Loading
  // a key again replaces its row, and an empty value erases it: as-of loads
  // the rows changed in each snapshot interval, in order.
  virtual Status load_row(std::string_view key, std::string_view value) = 0;

  // An empty projection of the same kind and configuration (as-of queries
  // build one, load a snapshot into it and replay the rest).
  virtual std::unique_ptr<Projection> fresh() const = 0;

  // True (the default): the state lives in memory, is loaded from its rows
  // at open and is snapshotted for as-of queries. False: the projection is
  // an append-only index whose rows stay in the database (timelines); its
  // rows carry their position, so as-of is a filter, not a replay.
  virtual bool in_memory() const { return true; }
};

}  // namespace spine::projections

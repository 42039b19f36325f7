#include "spine/projections/timelines.h"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "calendar.h"
#include "rows.h"
#include "spine/domain/event_json.h"
#include "spine/eventstore/event_store.h"
#include "spine/projections/runner.h"

namespace spine::projections {

using shop::EventBody;

namespace {

char kind_letter(TimelineKind kind) {
  switch (kind) {
    case TimelineKind::kOrder: return 'o';
    case TimelineKind::kSku: return 'k';
    case TimelineKind::kActor: return 'a';
    case TimelineKind::kSupplier: return 's';
  }
  return '?';
}

std::string_view stream_entity(std::string_view stream, std::string_view family) {
  return stream.starts_with(family) ? stream.substr(family.size()) : std::string_view{};
}

// Row layout: "<kind letter>/<id>/<16 hex window start>" -> big-endian
// 2-byte offsets of the timeline's positions in that window, ascending.
constexpr int kWindowBits = 16;
constexpr std::uint64_t kWindowMask = (std::uint64_t{1} << kWindowBits) - 1;

std::uint64_t window_start(std::uint64_t position) { return position & ~kWindowMask; }

void append_offset(std::string& out, std::uint64_t position) {
  const auto offset = static_cast<std::uint16_t>(position & kWindowMask);
  out.push_back(static_cast<char>(offset >> 8));
  out.push_back(static_cast<char>(offset & 0xff));
}

std::uint64_t offset_at(std::string_view offsets, std::size_t i) {
  return (std::uint64_t{static_cast<unsigned char>(offsets[2 * i])} << 8) | static_cast<unsigned char>(offsets[2 * i + 1]);
}

// The window start named by a row key's last part (16 hex digits); false
// for anything else (a longer id that extends the one asked for).
bool parse_window(std::string_view hex, std::uint64_t& start) {
  if (hex.size() != 16) return false;
  const auto [end, error] = std::from_chars(hex.data(), hex.data() + hex.size(), start, 16);
  return error == std::errc() && end == hex.data() + hex.size() && (start & kWindowMask) == 0;
}

}  // namespace

void timeline_membership_views(const store::RecordView& record, const shop::EventBodyUnion* event,
                               std::vector<std::pair<TimelineKind, std::string_view>>& out) {
  out.clear();
  auto add = [&](TimelineKind kind, std::string_view id) {
    if (id.empty()) return;
    for (const auto& [k, existing] : out) {
      if (k == kind && existing == id) return;
    }
    out.emplace_back(kind, id);
  };
  add(TimelineKind::kActor, record.actor());
  const std::string_view stream = record.stream_id();
  add(TimelineKind::kOrder, stream_entity(stream, "order-"));
  add(TimelineKind::kSku, stream_entity(stream, "stock-"));
  add(TimelineKind::kSupplier, stream_entity(stream, "supplier-"));
  if (event == nullptr) return;
  switch (event->type) {
    case EventBody::ProductListed:
      for (const auto& sku : event->AsProductListed()->skus) add(TimelineKind::kSku, sku->sku_id);
      break;
    case EventBody::PriceChanged: add(TimelineKind::kSku, event->AsPriceChanged()->sku_id); break;
    case EventBody::StockReserved: add(TimelineKind::kOrder, event->AsStockReserved()->order_id); break;
    case EventBody::StockReleased: add(TimelineKind::kOrder, event->AsStockReleased()->order_id); break;
    case EventBody::StockShipped: add(TimelineKind::kOrder, event->AsStockShipped()->order_id); break;
    case EventBody::StockRestocked: add(TimelineKind::kOrder, event->AsStockRestocked()->order_id); break;
    case EventBody::SupplierStockSynced: add(TimelineKind::kSupplier, event->AsSupplierStockSynced()->supplier_id); break;
    case EventBody::DropshipForwarded: add(TimelineKind::kSupplier, event->AsDropshipForwarded()->supplier_id); break;
    case EventBody::DropshipAcknowledged: add(TimelineKind::kSupplier, event->AsDropshipAcknowledged()->supplier_id); break;
    case EventBody::OrderShipped: {
      const auto& e = *event->AsOrderShipped();
      if (e.kind == shop::SourceKind::Supplier) add(TimelineKind::kSupplier, e.source_id);
      break;
    }
    default: break;
  }
}

std::vector<std::pair<TimelineKind, std::string>> timeline_memberships(const store::RecordView& record,
                                                                       const shop::EventBodyUnion* event) {
  std::vector<std::pair<TimelineKind, std::string_view>> views;
  timeline_membership_views(record, event, views);
  std::vector<std::pair<TimelineKind, std::string>> out;
  out.reserve(views.size());
  for (const auto& [kind, id] : views) out.emplace_back(kind, std::string(id));
  return out;
}

Status TimelineProjection::apply(const EventContext& context) {
  // An undecodable payload still belongs to its stream's and actor's timelines.
  const std::uint64_t position = context.position();
  const std::string window = internal::position_key(window_start(position));
  timeline_membership_views(context.record, context.event, memberships_);
  for (const auto& [kind, id] : memberships_) {
    key_.assign(1, kind_letter(kind)).append("/").append(id).append("/").append(window);
    append_offset(pending_[key_], position);
  }
  return ok_status();
}

void TimelineProjection::take_changed_rows(RowSink& sink) {
  // In key order: RocksDB's memtable then inserts each row next to the
  // previous one instead of searching its whole skiplist.
  std::vector<const std::pair<const std::string, std::string>*> rows;
  rows.reserve(pending_.size());
  for (const auto& row : pending_) rows.push_back(&row);
  std::sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  for (const auto* row : rows) sink.append(row->first, row->second);
  pending_.clear();
}

nlohmann::json timeline_entry_json(const store::RecordView& record) {
  nlohmann::json entry = {
      {"position", record.position()},
      {"type", record.event_type()},
      {"stream", record.stream_id()},
      {"stream_version", record.stream_version()},
      {"occurred_at", internal::format_time(record.occurred_at_us())},
      {"recorded_at", internal::format_time(record.recorded_at_us())},
      {"actor", record.actor()},
      {"command_id", record.command_id()},
  };
  auto body = domain::event_payload_to_json(record.payload());
  entry["event"] = body.ok() ? nlohmann::json::parse(*body) : nlohmann::json(nullptr);
  return entry;
}

Result<nlohmann::json> read_timeline(const ProjectionRunner& runner, const TimelineQuery& query) {
  if (query.id.empty()) return Error{"invalid_argument", "id", "a timeline needs an id"};
  const std::string prefix = "r/timelines/" + std::string(1, kind_letter(query.kind)) + "/" + query.id + "/";
  const std::size_t limit = std::clamp<std::size_t>(query.limit, 1, 10'000);
  std::vector<std::uint64_t> positions;
  bool more = false;
  bool corrupt = false;
  Status s = runner.for_each_row(prefix, [&](std::string_view key, std::string_view offsets) {
    std::uint64_t start = 0;
    if (!parse_window(key.substr(prefix.size()), start)) return true;  // another id that extends this one
    if (start + kWindowMask <= query.after_position) return true;     // a window before the page
    if (offsets.size() % 2 != 0) {
      corrupt = true;
      return false;
    }
    for (std::size_t i = 0; i < offsets.size() / 2; ++i) {
      const std::uint64_t position = start + offset_at(offsets, i);
      if (position <= query.after_position) continue;
      if (query.until_position != 0 && position > query.until_position) return false;
      if (positions.size() == limit) {
        more = true;
        return false;
      }
      positions.push_back(position);
    }
    return true;
  });
  if (!s.ok()) return s.error();
  if (corrupt) return Error{"projection_db_corrupt", prefix, "a timeline row of odd length"};
  nlohmann::json entries = nlohmann::json::array();
  for (std::uint64_t position : positions) {
    auto record = runner.store().read_at(position);
    if (!record.ok()) return record.error();
    entries.push_back(timeline_entry_json(*record));
  }
  nlohmann::json out = {{"entries", std::move(entries)}};
  out["next_after"] = more ? nlohmann::json(positions.back()) : nlohmann::json(nullptr);
  return out;
}

}  // namespace spine::projections

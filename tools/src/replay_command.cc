// `spine replay`: rebuilds the read models offline from a store's log,
// optionally as of a position or a time, and prints them as one JSON object.
// Each model is printed in the shape of its HTTP answer (docs/api.md), so an
// auditor can compare `replay --until-time T` with `GET ...?as_of=T`.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "progress.h"
#include "spine/eventstore/event_store.h"
#include "spine/http/time_text.h"
#include "spine/projections/alerts.h"
#include "spine/projections/kpis.h"
#include "spine/projections/prices.h"
#include "spine/projections/read_models.h"
#include "spine/projections/runner.h"
#include "spine/projections/stock.h"
#include "spine/projections/suppliers.h"
#include "spine/projections/timelines.h"

namespace spine::cli {

namespace {

using Json = nlohmann::json;

// Reports replay progress: a projection that only counts positions.
class ProgressTap final : public projections::Projection {
 public:
  explicit ProgressTap(Progress& progress) : progress_(progress) {}
  std::string_view name() const override { return "progress"; }
  std::uint32_t version() const override { return 1; }
  Status apply(const projections::EventContext& context) override {
    progress_.update(context.position());
    return ok_status();
  }
  void take_changed_rows(projections::RowSink&) override {}
  void write_all_rows(projections::RowSink&) const override {}
  Status load_row(std::string_view, std::string_view) override { return ok_status(); }
  std::unique_ptr<Projection> fresh() const override { return std::make_unique<ProgressTap>(progress_); }

 private:
  Progress& progress_;
};

// Collects one timeline (kind, id) from the replayed records, in log order.
class TimelineCollector final : public projections::Projection {
 public:
  TimelineCollector(projections::TimelineKind kind, std::string id) : kind_(kind), id_(std::move(id)) {}
  std::string_view name() const override { return "timeline"; }
  std::uint32_t version() const override { return 1; }
  Status apply(const projections::EventContext& context) override {
    const shop::EventBodyUnion* event = context.event;
    for (const auto& [kind, id] : projections::timeline_memberships(context.record, event)) {
      if (kind == kind_ && id == id_) {
        entries_.push_back(projections::timeline_entry_json(context.record));
        break;
      }
    }
    return ok_status();
  }
  void take_changed_rows(projections::RowSink&) override {}
  void write_all_rows(projections::RowSink&) const override {}
  Status load_row(std::string_view, std::string_view) override { return ok_status(); }
  std::unique_ptr<Projection> fresh() const override { return std::make_unique<TimelineCollector>(kind_, id_); }
  Json entries() const { return Json{{"entries", entries_}, {"next_after", nullptr}}; }

 private:
  projections::TimelineKind kind_;
  std::string id_;
  Json entries_ = Json::array();
};

std::optional<projections::TimelineKind> timeline_kind(std::string_view name) {
  if (name == "order") return projections::TimelineKind::kOrder;
  if (name == "sku") return projections::TimelineKind::kSku;
  if (name == "actor") return projections::TimelineKind::kActor;
  if (name == "supplier") return projections::TimelineKind::kSupplier;
  return std::nullopt;
}

// A time flag: RFC 3339, or (when `day_allowed`) a local day as in the API.
std::optional<std::int64_t> parse_time_flag(const std::string& text, const domain::TimeZone& zone, bool day_allowed) {
  if (auto at = http::parse_rfc3339(text)) return at;
  if (day_allowed) return http::parse_local_day(text, zone);
  return std::nullopt;
}

int usage(const std::string& flag, const std::string& rule) {
  fmt::print(stderr, "error: {}: {}\n", flag, rule);
  return kExitUsage;
}

// The replay point: the position of --until-position, of --until-time, or the head.
Result<std::uint64_t> replay_point(const store::EventStore& store, const ReplayArgs& args, std::int64_t until_time_us) {
  const std::uint64_t head = store.head().position;
  if (args.until_position) {
    if (*args.until_position > head) {
      return Error{"position_out_of_range", "--until-position", "the log's head is " + std::to_string(head)};
    }
    return *args.until_position;
  }
  if (!args.until_time.empty()) return projections::position_at_time(store, until_time_us);
  return head;
}

Result<Json> kpi_figures(const projections::KpiProjection& model, const ReplayArgs& args,
                         const domain::TimeZone& zone, std::int64_t first_us, std::int64_t last_us) {
  projections::KpiQuery query;
  query.granularity = args.granularity;
  query.by = args.by;
  // Default range: the local days the replayed events occurred on.
  constexpr std::int64_t kDay = 86'400'000'000LL;
  auto day_number = [&](std::int64_t utc) {
    const std::int64_t local = zone.to_local(utc);
    return local / kDay - (local % kDay < 0 ? 1 : 0);
  };
  query.from_us = zone.to_utc(day_number(first_us) * kDay);
  query.to_us = zone.to_utc((day_number(last_us) + 1) * kDay);
  if (!args.kpi_from.empty()) {
    auto at = parse_time_flag(args.kpi_from, zone, true);
    if (!at) return Error{"invalid_argument", "--kpi-from", "must be an RFC 3339 time or a local day (2025-10-01)"};
    query.from_us = *at;
  }
  if (!args.kpi_to.empty()) {
    auto at = parse_time_flag(args.kpi_to, zone, true);
    if (!at) return Error{"invalid_argument", "--kpi-to", "must be an RFC 3339 time or a local day (2025-10-01)"};
    query.to_us = *at;
  }
  return model.query(query);
}

}  // namespace

int run_replay(const ReplayArgs& args) {
  std::int64_t until_time_us = 0;
  if (!args.until_time.empty()) {
    auto at = http::parse_rfc3339(args.until_time);
    if (!at) return usage("--until-time", "must be an RFC 3339 time (2025-10-01T20:00:00+08:00)");
    until_time_us = *at;
  }
  std::optional<std::pair<projections::TimelineKind, std::string>> timeline;
  if (!args.timeline.empty()) {
    const std::size_t colon = args.timeline.find(':');
    auto kind = colon == std::string::npos ? std::nullopt : timeline_kind(args.timeline.substr(0, colon));
    if (!kind || colon + 1 == args.timeline.size()) {
      return usage("--timeline", "KIND:ID with KIND order, sku, actor or supplier");
    }
    timeline.emplace(*kind, args.timeline.substr(colon + 1));
  }
  auto config = load_config_file(args.config_path);
  if (!config) {
    fmt::print(stderr, "error: {}\n", config.error().to_string());
    return kExitUsage;
  }
  auto opened = store::EventStore::open_read_only(args.data_dir);
  if (!opened) {
    fmt::print(stderr, "error: cannot open the store in {}: {}\n", args.data_dir, opened.error().to_string());
    return kExitIoError;
  }
  const store::EventStore& log = **opened;
  auto until = replay_point(log, args, until_time_us);
  if (!until) {
    fmt::print(stderr, "error: {}\n", until.error().to_string());
    return until.error().code == "position_out_of_range" ? kExitUsage : kExitIoError;
  }

  // The models asked for (default: every in-memory one), plus the taps.
  std::vector<std::unique_ptr<projections::Projection>> models;
  for (auto& model : projections::make_read_models(*config)) {
    if (!model->in_memory()) continue;  // timelines: an index of the log, see --timeline
    const bool wanted = args.projections.empty() ||
                        std::find(args.projections.begin(), args.projections.end(), model->name()) != args.projections.end();
    if (wanted) models.push_back(std::move(model));
  }
  std::unique_ptr<TimelineCollector> collector;
  if (timeline) collector = std::make_unique<TimelineCollector>(timeline->first, timeline->second);
  Progress progress("replay", *until);
  ProgressTap tap(progress);
  std::vector<projections::Projection*> applied;
  for (auto& model : models) applied.push_back(model.get());
  if (collector) applied.push_back(collector.get());
  applied.push_back(&tap);

  std::int64_t first_us = 0, last_us = 0;
  if (*until > 0) {
    auto first = log.read_at(1);
    auto last = log.read_at(*until);
    if (!first || !last) {
      fmt::print(stderr, "error: {}\n", (!first ? first.error() : last.error()).to_string());
      return kExitIoError;
    }
    first_us = first->occurred_at_us();
    last_us = last->occurred_at_us();
    if (Status replayed = projections::replay_in_memory(log, applied, *until); !replayed) {
      progress.finish();
      fmt::print(stderr, "error: {}\n", replayed.error().to_string());
      return replayed.error().code == "io_error" || replayed.error().code == "corruption" ? kExitIoError
                                                                                           : kExitReplayFailed;
    }
  }
  progress.finish();

  Json out = {{"position", *until}, {"head_position", log.head().position}};
  out["until_time"] = args.until_time.empty() ? Json(nullptr) : Json(args.until_time);
  Json rendered = Json::object();
  for (const auto& model : models) {
    const std::string name(model->name());
    if (const auto* stock = dynamic_cast<const projections::StockProjection*>(model.get())) {
      rendered[name] = stock->list("");
    } else if (const auto* prices = dynamic_cast<const projections::PriceProjection*>(model.get())) {
      Json by_sku = Json::object();
      for (const std::string& sku : prices->sku_ids()) by_sku[sku] = prices->history(sku);
      rendered[name] = std::move(by_sku);
    } else if (const auto* suppliers = dynamic_cast<const projections::SupplierProjection*>(model.get())) {
      rendered[name] = suppliers->list();
    } else if (const auto* alerts = dynamic_cast<const projections::AlertProjection*>(model.get())) {
      rendered[name] = alerts->list(false);
    } else if (const auto* kpis = dynamic_cast<const projections::KpiProjection*>(model.get())) {
      auto figures = kpi_figures(*kpis, args, config->time_zone, first_us, last_us);
      if (!figures) {
        fmt::print(stderr, "error: {}: {}\n", figures.error().field, figures.error().message);
        return kExitUsage;
      }
      rendered[name] = std::move(*figures);
    }
  }
  if (collector) {
    Json entries = collector->entries();
    entries["kind"] = args.timeline.substr(0, args.timeline.find(':'));
    entries["id"] = timeline->second;
    rendered["timeline"] = std::move(entries);
  }
  out["models"] = std::move(rendered);
  fmt::print("{}\n", out.dump());
  return kExitOk;
}

}  // namespace spine::cli

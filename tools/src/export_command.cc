// `spine export`, `spine verify --file`, `spine import` and `spine stats`:
// the log as NDJSON for auditors and disaster recovery.
//
// The file's format and its reader are in export/export_format.h.
#include <fmt/core.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "export_format.h"
#include "progress.h"
#include "spine/eventstore/chain_verifier.h"
#include "spine/eventstore/event_store.h"

namespace spine::cli {

namespace {

namespace fs = std::filesystem;

// Opens a store that no process is writing (read-only); prints the error.
std::optional<std::unique_ptr<store::EventStore>> open_stopped_store(const std::string& dir) {
  auto opened = store::EventStore::open_read_only(dir);
  if (!opened) {
    fmt::print(stderr, "error: {}\n", opened.error().to_string());
    return std::nullopt;
  }
  return std::move(*opened);
}

}  // namespace

int run_export(const ExportArgs& args) {
  auto opened = open_stopped_store(args.data_dir);
  if (!opened) return kExitIoError;
  store::EventStore& log = **opened;
  std::uint64_t records = 0, first_position = 0, last_position = 0;
  store::Digest last_hash{};
  const std::uint64_t to = args.to == 0 ? log.head().position : args.to;
  Progress progress("export", to >= args.from ? to - args.from + 1 : 0);
  const Status scanned = store::for_each_record(log, args.from, args.to, [&](const store::RecordView& r) -> Status {
    std::cout << export_line(r).dump() << '\n';
    progress.update(records + 1);
    if (records++ == 0) first_position = r.position();
    last_hash = r.hash();
    last_position = r.position();
    return ok_status();
  });
  progress.finish();
  if (!scanned) {
    fmt::print(stderr, "error: {}\n", scanned.error().to_string());
    return kExitIoError;
  }
  std::cout << export_trailer(records, last_position, last_hash).dump() << '\n';
  std::cout.flush();
  if (!std::cout) return kExitIoError;
  fmt::print(stderr, "exported {} records (positions {} to {})\n", records, first_position, last_position);
  return kExitOk;
}

int run_verify_file(const std::string& path, bool json) {
  std::ifstream in(path);
  if (!in) {
    if (json) fmt::print("{}\n", nlohmann::json{{"ok", false}, {"error", "io_error"}, {"message", "cannot read " + path}}.dump());
    else fmt::print(stderr, "error: cannot read {}\n", path);
    return kExitIoError;
  }
  ExportReader reader(in);
  Progress progress("verify (lines)", 0);
  for (;;) {
    auto next = reader.next();
    if (!next || !next->has_value()) break;
    progress.update(reader.line_number());
  }
  progress.finish();
  return print_verify_report(reader.report(), json);
}

int run_import(const ImportArgs& args) {
  if (fs::exists(args.data_dir) && !fs::is_empty(args.data_dir)) {
    fmt::print(stderr, "error: {} exists and is not empty; import builds a new store\n", args.data_dir);
    return kExitUsage;
  }
  // First pass: the whole file must verify before anything is written.
  if (int verified = run_verify_file(args.file, false); verified != kExitOk) {
    fmt::print(stderr, "error: {} does not verify; nothing imported\n", args.file);
    return verified;
  }
  std::ifstream in(args.file);
  ExportReader reader(in);
  Result<store::Head> imported = Error{"io_error", "", "not run"};
  {
    auto opened = store::EventStore::open(args.data_dir);
    if (!opened) {
      fmt::print(stderr, "error: {}\n", opened.error().to_string());
      return kExitIoError;
    }
    Progress progress("import (lines)", 0);
    imported = (*opened)->import_records([&] {
      progress.update(reader.line_number());
      return reader.next();
    });
  }
  if (!imported) {
    std::error_code ignored;
    fs::remove_all(args.data_dir, ignored);
    fmt::print(stderr, "error: {}; {} removed\n", imported.error().to_string(), args.data_dir);
    return imported.error().code == "corruption" ? kExitVerifyFailed : kExitIoError;
  }
  fmt::print("imported {} records into {}; head hash {}\n", imported->position, args.data_dir, store::to_hex(imported->hash));
  return kExitOk;
}

int run_stats(const StatsArgs& args) {
  auto opened = open_stopped_store(args.data_dir);
  if (!opened) return kExitIoError;
  store::EventStore& log = **opened;
  std::map<std::string, std::uint64_t> by_type, by_family;
  std::uint64_t streams = 0;
  Progress progress("stats", log.head().position);
  const Status scanned = store::for_each_record(log, 1, 0, [&](const store::RecordView& r) -> Status {
    progress.update(r.position());
    ++by_type[std::string(r.event_type())];
    const std::string_view stream = r.stream_id();
    ++by_family[std::string(stream.substr(0, stream.find('-')))];
    if (r.stream_version() == 1) ++streams;
    return ok_status();
  });
  progress.finish();
  if (!scanned) {
    fmt::print(stderr, "error: {}\n", scanned.error().to_string());
    return kExitIoError;
  }
  std::uintmax_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(args.data_dir)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  const store::Head head = log.head();
  if (args.json) {
    fmt::print("{}\n", nlohmann::json{{"head_position", head.position},
                                      {"head_hash", store::to_hex(head.hash)},
                                      {"streams", streams},
                                      {"events_by_type", by_type},
                                      {"events_by_stream_family", by_family},
                                      {"bytes_on_disk", bytes}}
                           .dump());
    return kExitOk;
  }
  fmt::print("head position {} hash {}\nstreams {}\nsize on disk {} bytes\n", head.position, store::to_hex(head.hash),
             streams, bytes);
  fmt::print("events by stream family:\n");
  for (const auto& [family, count] : by_family) fmt::print("  {:<24} {:>10}\n", family, count);
  fmt::print("events by type:\n");
  for (const auto& [type, count] : by_type) fmt::print("  {:<24} {:>10}\n", type, count);
  return kExitOk;
}

}  // namespace spine::cli

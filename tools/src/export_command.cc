// `spine export`, `spine verify --file`, `spine import` and `spine stats`:
// the log as NDJSON for auditors and disaster recovery.
//
// Export format (docs/api.md): one JSON object per record, keys sorted, with
// every envelope field, both hashes, the payload rendered as JSON through
// FlatBuffers reflection ("event", null for payloads that are not shop
// events) and the envelope itself in base64 ("envelope", authoritative);
// then one trailer line {"end": {"records", "head_position", "head_hash"}}.
#include <fmt/core.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "progress.h"
#include "spine/domain/event_json.h"
#include "spine/projections/record_json.h"
#include "spine/eventstore/chain_verifier.h"
#include "spine/eventstore/event_store.h"

namespace spine::cli {

namespace {

namespace fs = std::filesystem;

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> unbase64(const std::string& text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

// The shared rendering plus the stored record itself (the authoritative bytes).
nlohmann::json record_json(const store::RecordView& r) {
  nlohmann::json line = projections::record_json(r);
  line["envelope"] = base64(r.bytes());
  return line;
}

// Reads an export line by line: checks each line's fields against its
// envelope and the chain; `on_record` gets each verified envelope.
struct ExportReader {
  std::istream& in;
  store::ChainVerifier verifier;
  std::uint64_t line_number = 0;
  std::optional<nlohmann::json> trailer;
  bool started = false;

  // Returns the next verified envelope, nullopt at the end; an Error when the
  // file is malformed (the report then names the position).
  Result<std::optional<std::string>> next() {
    std::string text;
    while (std::getline(in, text)) {
      ++line_number;
      if (text.empty()) continue;
      if (trailer) return fail(verifier.report().head_position + 1, "records after the trailer line");
      auto line = nlohmann::json::parse(text, nullptr, false);
      if (line.is_discarded() || !line.is_object()) {
        return fail(verifier.report().head_position + 1, "line " + std::to_string(line_number) + " is not a JSON object");
      }
      if (line.contains("end")) {
        trailer = line["end"];
        continue;
      }
      if (!line.contains("position") || !line["position"].is_number_unsigned() || !line.contains("envelope") ||
          !line["envelope"].is_string()) {
        return fail(verifier.report().head_position + 1, "line " + std::to_string(line_number) + " lacks position or envelope");
      }
      const std::uint64_t position = line["position"].get<std::uint64_t>();
      auto bytes = unbase64(line["envelope"].get<std::string>());
      if (!bytes) return fail(position, "the envelope is not base64");
      if (!started) {
        started = true;
        if (position > 1) {  // a partial export: anchored on its first record's link
          auto first = store::RecordView::parse(*bytes, position);
          if (first) verifier.start_after(position - 1, first->prev_hash());
        }
      }
      if (!verifier.check(position, *bytes)) return fail(verifier.report().bad_position, verifier.report().reason);
      auto record = store::RecordView::parse(*bytes, position);
      const nlohmann::json expected = record_json(*record);
      for (const auto& [key, value] : expected.items()) {
        if (!line.contains(key) || line[key] != value) {
          return fail(position, "field '" + key + "' differs from the record's envelope");
        }
      }
      return std::optional<std::string>(std::move(*bytes));
    }
    if (!trailer) return fail(verifier.report().head_position + 1, "the export ends without its trailer line (truncated?)");
    const std::uint64_t head = (*trailer).value("head_position", std::uint64_t{0});
    if (head != verifier.report().head_position || (*trailer).value("head_hash", std::string()) != store::to_hex(verifier.report().head_hash)) {
      return fail(std::min(head, verifier.report().head_position) + 1, "the trailer's head does not match the last record");
    }
    return std::optional<std::string>();
  }

  Error fail(std::uint64_t position, const std::string& reason) {
    verifier.reject(position, reason);
    return Error{"corruption", "position " + std::to_string(position), reason};
  }
};

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
    std::cout << record_json(r).dump() << '\n';
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
  std::cout << nlohmann::json{{"end", {{"records", records}, {"head_position", last_position}, {"head_hash", store::to_hex(last_hash)}}}}.dump()
            << '\n';
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
  ExportReader reader{in, {}, 0, std::nullopt, false};
  Progress progress("verify (lines)", 0);
  for (;;) {
    auto next = reader.next();
    if (!next || !next->has_value()) break;
    progress.update(reader.line_number);
  }
  progress.finish();
  return print_verify_report(reader.verifier.report(), json);
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
  ExportReader reader{in, {}, 0, std::nullopt, false};
  Result<store::Head> imported = Error{"io_error", "", "not run"};
  {
    auto opened = store::EventStore::open(args.data_dir);
    if (!opened) {
      fmt::print(stderr, "error: {}\n", opened.error().to_string());
      return kExitIoError;
    }
    Progress progress("import (lines)", 0);
    imported = (*opened)->import_records([&] {
      progress.update(reader.line_number);
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

// The export file (docs/api.md, "Export format"): one JSON object per record,
// then a trailer line {"end": {"records", "head_position", "head_hash"}}.
// Writing a line and reading a file back, shared by `spine export`,
// `verify --file`, `import` and the export-line fuzzer.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "spine/eventstore/chain_verifier.h"
#include "spine/eventstore/record.h"
#include "spine/result.h"

namespace spine::cli {

// The longest line a reader accepts: a 1 MiB payload, its envelope in base64
// and its rendering as JSON fit well inside.
inline constexpr std::size_t kMaxExportLineBytes = 16u << 20;

std::string base64(std::string_view bytes);
// nullopt for text that is not padded base64.
std::optional<std::string> unbase64(std::string_view text);

// A record's line: the shared JSON rendering plus "envelope", the stored bytes
// in base64 (authoritative).
nlohmann::json export_line(const store::RecordView& record);
nlohmann::json export_trailer(std::uint64_t records, std::uint64_t head_position, const store::Digest& head_hash);

// Reads an export line by line. Each record line must match its envelope field
// for field and continue the hash chain; the file must end with a trailer that
// names the last record. Whatever the bytes, next() returns a value or an
// error (never throws).
class ExportReader {
 public:
  explicit ExportReader(std::istream& in) : in_(in) {}

  // The next verified envelope; nullopt after a trailer that matches; an
  // Error "corruption" naming the position when the file is malformed (the
  // report then holds the same).
  Result<std::optional<std::string>> next();

  const store::VerifyReport& report() const { return verifier_.report(); }
  std::uint64_t line_number() const { return line_number_; }

 private:
  bool read_line(std::string& text);
  Result<std::optional<std::string>> record_line(const nlohmann::json& line);
  Result<std::optional<std::string>> end_of_file();
  Error fail(std::uint64_t position, const std::string& reason);
  std::uint64_t next_position() const { return verifier_.report().head_position + 1; }

  std::istream& in_;
  store::ChainVerifier verifier_;
  std::uint64_t line_number_ = 0;
  std::optional<nlohmann::json> trailer_;
  bool started_ = false;
};

}  // namespace spine::cli

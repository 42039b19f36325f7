// The export file: writing a line, and ExportReader (export_format.h).
#include "export_format.h"

#include <openssl/evp.h>

#include <algorithm>

#include "spine/projections/record_json.h"

namespace spine::cli {

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> unbase64(std::string_view text) {
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

nlohmann::json export_line(const store::RecordView& record) {
  nlohmann::json line = projections::record_json(record);
  line["envelope"] = base64(record.bytes());
  return line;
}

nlohmann::json export_trailer(std::uint64_t records, std::uint64_t head_position, const store::Digest& head_hash) {
  return nlohmann::json{
      {"end", {{"records", records}, {"head_position", head_position}, {"head_hash", store::to_hex(head_hash)}}}};
}

namespace {

const nlohmann::json* field(const nlohmann::json& object, const char* name) {
  auto found = object.find(name);
  return found == object.end() ? nullptr : &*found;
}

bool is_unsigned(const nlohmann::json* value) { return value != nullptr && value->is_number_unsigned(); }
bool is_string(const nlohmann::json* value) { return value != nullptr && value->is_string(); }

}  // namespace

// One line into `text`, without its newline; false at the end of the input or
// for a line longer than kMaxExportLineBytes (then `text` holds that much).
bool ExportReader::read_line(std::string& text) {
  text.clear();
  std::streambuf* buffer = in_.rdbuf();
  if (buffer == nullptr) return false;
  for (;;) {
    const int c = buffer->sbumpc();
    if (c == std::char_traits<char>::eof()) return !text.empty();
    if (c == '\n') return true;
    if (text.size() == kMaxExportLineBytes) return false;
    text.push_back(static_cast<char>(c));
  }
}

Result<std::optional<std::string>> ExportReader::next() {
  std::string text;
  while (read_line(text)) {
    ++line_number_;
    if (text.empty()) continue;
    if (trailer_) return fail(next_position(), "records after the trailer line");
    const auto line = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (line.is_discarded() || !line.is_object()) {
      return fail(next_position(), "line " + std::to_string(line_number_) + " is not a JSON object");
    }
    if (const nlohmann::json* end = field(line, "end")) {
      trailer_ = *end;
      continue;
    }
    return record_line(line);
  }
  if (text.size() == kMaxExportLineBytes) {
    return fail(next_position(), "line " + std::to_string(line_number_ + 1) + " is longer than " +
                                     std::to_string(kMaxExportLineBytes) + " bytes");
  }
  return end_of_file();
}

Result<std::optional<std::string>> ExportReader::record_line(const nlohmann::json& line) {
  const nlohmann::json* position_field = field(line, "position");
  const nlohmann::json* envelope_field = field(line, "envelope");
  if (!is_unsigned(position_field) || !is_string(envelope_field)) {
    return fail(next_position(), "line " + std::to_string(line_number_) + " lacks position or envelope");
  }
  const std::uint64_t position = position_field->get<std::uint64_t>();
  auto bytes = unbase64(envelope_field->get_ref<const std::string&>());
  if (!bytes) return fail(position, "the envelope is not base64");
  if (!started_) {
    started_ = true;
    if (position > 1) {  // a partial export: anchored on its first record's link
      auto first = store::RecordView::parse(*bytes, position);
      if (first) verifier_.start_after(position - 1, first->prev_hash());
    }
  }
  if (!verifier_.check(position, *bytes)) return fail(report().bad_position, report().reason);
  auto record = store::RecordView::parse(*bytes, position);
  if (!record) return fail(position, record.error().message);  // check() parsed it already
  const nlohmann::json expected = export_line(*record);
  for (const auto& [key, value] : expected.items()) {
    const nlohmann::json* given = field(line, key.c_str());
    if (given == nullptr || *given != value) return fail(position, "field '" + key + "' differs from the record's envelope");
  }
  return std::optional<std::string>(std::move(*bytes));
}

Result<std::optional<std::string>> ExportReader::end_of_file() {
  if (!trailer_) return fail(next_position(), "the export ends without its trailer line (truncated?)");
  const nlohmann::json& end = *trailer_;
  if (!end.is_object()) return fail(next_position(), "the trailer's \"end\" is not an object");
  const nlohmann::json* head_position = field(end, "head_position");
  const nlohmann::json* head_hash = field(end, "head_hash");
  const nlohmann::json* records = field(end, "records");
  if (!is_unsigned(head_position) || !is_string(head_hash) || !is_unsigned(records)) {
    return fail(next_position(), "the trailer lacks records, head_position or head_hash");
  }
  const std::uint64_t head = head_position->get<std::uint64_t>();
  if (head != report().head_position || head_hash->get_ref<const std::string&>() != store::to_hex(report().head_hash)) {
    return fail(std::min(head, report().head_position) + 1, "the trailer's head does not match the last record");
  }
  if (records->get<std::uint64_t>() != report().records_checked) {
    return fail(next_position(), "the trailer counts " + std::to_string(records->get<std::uint64_t>()) +
                                     " records, the file holds " + std::to_string(report().records_checked));
  }
  return std::optional<std::string>();
}

Error ExportReader::fail(std::uint64_t position, const std::string& reason) {
  verifier_.reject(position, reason);
  return Error{"corruption", "position " + std::to_string(position), reason};
}

}  // namespace spine::cli

// text.h on ICU: Normalizer2 (NFKC_Casefold), character properties and scripts.
#include "spine/domain/text.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "spine/domain/rules.h"

namespace spine::domain {

namespace {

// The NFKC_Casefold normalizer is built into ICU's data: a failure here is a broken installation.
const icu::Normalizer2& nfkc_casefold() {
  static const icu::Normalizer2* normalizer = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* instance = icu::Normalizer2::getNFKCCasefoldInstance(status);
    if (U_FAILURE(status) || instance == nullptr) std::abort();
    return instance;
  }();
  return *normalizer;
}

bool written_without_spaces(UChar32 c) {
  UErrorCode status = U_ZERO_ERROR;
  switch (uscript_getScript(c, &status)) {
    case USCRIPT_HAN:
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_HANGUL:
    case USCRIPT_THAI:
    case USCRIPT_LAO:
    case USCRIPT_KHMER:
    case USCRIPT_MYANMAR:
      return true;
    default:
      return false;
  }
}

bool word_character(UChar32 c) {
  const std::int8_t type = u_charType(c);
  return u_isalnum(c) || type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK ||
         type == U_ENCLOSING_MARK;
}

void append_utf8(std::string& out, UChar32 c) {
  icu::UnicodeString one(c);
  one.toUTF8String(out);
}

}  // namespace

std::vector<std::string> text_tokens(std::string_view utf8) {
  std::vector<std::string> tokens;
  if (!is_valid_utf8(utf8)) return tokens;
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString folded = nfkc_casefold().normalize(
      icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<std::int32_t>(utf8.size()))), status);
  if (U_FAILURE(status)) return tokens;
  std::string word;
  auto end_word = [&] {
    if (!word.empty()) tokens.push_back(std::move(word));
    word.clear();
  };
  for (std::int32_t i = 0; i < folded.length(); i = folded.moveIndex32(i, 1)) {
    const UChar32 c = folded.char32At(i);
    if (u_charType(c) == U_FORMAT_CHAR || u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) continue;
    if (u_isUWhiteSpace(c) || u_iscntrl(c)) {
      end_word();
    } else if (written_without_spaces(c)) {
      end_word();
      append_utf8(word, c);
      end_word();
    } else if (word_character(c)) {
      append_utf8(word, c);
    } else {
      end_word();
      append_utf8(word, c);
      end_word();
    }
  }
  end_word();
  return tokens;
}

bool is_blank(std::string_view utf8) { return text_tokens(utf8).empty(); }

bool contains_tokens(const std::vector<std::string>& haystack, const std::vector<std::string>& needle) {
  if (needle.empty()) return false;
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

}  // namespace spine::domain

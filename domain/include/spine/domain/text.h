// Text as a rule sees it, not as it is spelled: ICU's NFKC case folding
// (full-width forms to ASCII, ligatures apart, case folded, default-ignorable
// characters such as U+200B ZERO WIDTH SPACE and U+00AD SOFT HYPHEN dropped),
// then format characters (Cf) dropped, then cut into tokens.
//
// Contract: a token is a run of letters, digits and combining marks; a single
// character of a script written without spaces (Han, Hiragana, Katakana,
// Hangul, Thai, Lao, Khmer, Myanmar); or a single other visible character
// (punctuation, symbols: ".", "%"). Whitespace only separates. Text that is
// not valid UTF-8 gives no tokens.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace spine::domain {

std::vector<std::string> text_tokens(std::string_view utf8);

// True when the text holds no token: empty, or only whitespace and invisible characters.
bool is_blank(std::string_view utf8);

// True when `needle`'s tokens occur in `haystack`'s tokens, consecutively and whole.
bool contains_tokens(const std::vector<std::string>& haystack, const std::vector<std::string>& needle);

}  // namespace spine::domain

// Tokens of the tile-IR text form (docs/tile-ir.md). Used by the text parser
// only; the printer writes text directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hrt::ir::text {

enum class TokenKind : uint8_t {
  kEof,
  kIdent,  // [A-Za-z_][A-Za-z0-9_]*
  kValue,  // %name; text holds the name without the '%'
  kInt,    // decimal digits, no sign
  kFloat,  // digits with a fraction and/or an exponent, no sign
  kPunct,  // ( ) [ ] { } < > , : = + - * / % and <= >= == != && ||
  kError,  // a character or number the lexer rejects; see Lexer::error()
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string_view text;  // points into the source
  size_t offset = 0;      // byte offset of the first character
  uint32_t line = 1;      // 1-based
  uint32_t col = 1;       // 1-based, in bytes

  bool Is(std::string_view punct) const { return kind == TokenKind::kPunct && text == punct; }
  bool IsIdent(std::string_view word) const { return kind == TokenKind::kIdent && text == word; }
};

// "'x'", "%name", "end of input": how an error message names a token.
std::string DescribeToken(const Token& t);

// On-demand lexer: the parser asks for one token at a time, which lets it
// re-read "%2" as the modulo operator followed by 2 inside expressions.
class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  Token Next();
  // Continues lexing right after the first byte of |t| (which must be a token
  // this lexer produced); used to split "%name" into '%' and "name".
  void ResumeAfterFirstByte(const Token& t);
  // The reason for the last kError token.
  const std::string& error() const { return error_; }

 private:
  void SkipSpaceAndComments();
  Token Make(TokenKind kind, size_t begin, size_t end, uint32_t col) const;
  Token LexNumber(size_t begin, uint32_t col);

  std::string_view src_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  uint32_t line_ = 1;
  std::string error_;
};

}  // namespace hrt::ir::text

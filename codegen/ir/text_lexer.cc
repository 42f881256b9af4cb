#include "codegen/ir/text_lexer.h"

#include <cstdio>

namespace hrt::ir::text {
namespace {

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsIdentChar(char c) {
  return IsAlpha(c) || IsDigit(c);
}
bool IsValueNameChar(char c) {
  return IsIdentChar(c) || c == '.';
}

// Renders one source byte for an error message; bytes that are not printable
// ASCII are shown as \xNN so messages stay readable and valid UTF-8.
std::string ShowByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof(buf), "'\\x%02x'", u);
  return buf;
}

}  // namespace

std::string DescribeToken(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEof: return "end of input";
    case TokenKind::kValue: return "%" + std::string(t.text);
    case TokenKind::kError: return t.text.empty() ? "invalid input" : ShowByte(t.text[0]);
    default: return "'" + std::string(t.text) + "'";
  }
}

void Lexer::SkipSpaceAndComments() {
  while (pos_ < src_.size()) {
    const char c = src_[pos_];
    if (c == '\n') {
      ++pos_;
      ++line_;
      line_start_ = pos_;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++pos_;
    } else if (c == '#') {
      while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
    } else {
      return;
    }
  }
}

Token Lexer::Make(TokenKind kind, size_t begin, size_t end, uint32_t col) const {
  Token t;
  t.kind = kind;
  t.text = src_.substr(begin, end - begin);
  t.offset = begin;
  t.line = line_;
  t.col = col;
  return t;
}

Token Lexer::LexNumber(size_t begin, uint32_t col) {
  bool is_float = false;
  while (pos_ < src_.size() && IsDigit(src_[pos_])) ++pos_;
  if (pos_ < src_.size() && src_[pos_] == '.') {
    is_float = true;
    ++pos_;
    while (pos_ < src_.size() && IsDigit(src_[pos_])) ++pos_;
  }
  if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
    size_t p = pos_ + 1;
    if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
    if (p < src_.size() && IsDigit(src_[p])) {
      is_float = true;
      pos_ = p;
      while (pos_ < src_.size() && IsDigit(src_[pos_])) ++pos_;
    }
  }
  // "12abc", "1.5.2" and "1e" are typos, not a number followed by a name.
  if (pos_ < src_.size() && (IsValueNameChar(src_[pos_]))) {
    while (pos_ < src_.size() && IsValueNameChar(src_[pos_])) ++pos_;
    error_ = "malformed number '" + std::string(src_.substr(begin, pos_ - begin)) + "'";
    return Make(TokenKind::kError, begin, pos_, col);
  }
  return Make(is_float ? TokenKind::kFloat : TokenKind::kInt, begin, pos_, col);
}

Token Lexer::Next() {
  SkipSpaceAndComments();
  const size_t begin = pos_;
  const auto col = static_cast<uint32_t>(begin - line_start_ + 1);
  if (pos_ >= src_.size()) return Make(TokenKind::kEof, begin, begin, col);
  const char c = src_[pos_];
  if (IsAlpha(c)) {
    while (pos_ < src_.size() && IsIdentChar(src_[pos_])) ++pos_;
    return Make(TokenKind::kIdent, begin, pos_, col);
  }
  if (IsDigit(c)) return LexNumber(begin, col);
  if (c == '%' && pos_ + 1 < src_.size() && IsValueNameChar(src_[pos_ + 1])) {
    ++pos_;
    while (pos_ < src_.size() && IsValueNameChar(src_[pos_])) ++pos_;
    Token t = Make(TokenKind::kValue, begin, pos_, col);
    t.text.remove_prefix(1);
    return t;
  }
  static constexpr std::string_view kTwoChar[] = {"<=", ">=", "==", "!=", "&&", "||"};
  if (pos_ + 1 < src_.size()) {
    const std::string_view two = src_.substr(pos_, 2);
    for (std::string_view p : kTwoChar) {
      if (two == p) {
        pos_ += 2;
        return Make(TokenKind::kPunct, begin, pos_, col);
      }
    }
  }
  static constexpr std::string_view kOneChar = "()[]{}<>,:=+-*/%";
  if (kOneChar.find(c) != std::string_view::npos) {
    ++pos_;
    return Make(TokenKind::kPunct, begin, pos_, col);
  }
  ++pos_;
  error_ = "unexpected character " + ShowByte(c);
  return Make(TokenKind::kError, begin, pos_, col);
}

void Lexer::ResumeAfterFirstByte(const Token& t) {
  pos_ = t.offset + 1;
  line_ = t.line;
  line_start_ = t.offset + 1 - t.col;
}

}  // namespace hrt::ir::text

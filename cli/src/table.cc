// Table and Columns rendering (layouts rebuilt from natscli's go-pretty and columns packages).
#include "table.h"

#include <algorithm>
#include <cstdint>

namespace natss3::cli {

size_t DisplayWidth(const std::string& text) {
  // Columns per code point: 2 for East Asian wide/fullwidth ranges (as go-pretty's runewidth),
  // 0 for combining marks, 1 otherwise.
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    uint32_t cp = len == 1 ? c : (c & (0x7F >> len));
    for (size_t k = 1; k < len && i + k < text.size(); ++k) cp = (cp << 6) | (text[i + k] & 0x3F);
    i += len;
    if (cp >= 0x300 && cp <= 0x36F) continue;
    bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
                (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
                (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD);
    width += wide ? 2 : 1;
  }
  return width;
}

namespace {

std::string Repeat(const std::string& piece, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += piece;
  return out;
}

std::string PadRight(const std::string& text, size_t width) {
  size_t w = DisplayWidth(text);
  return w >= width ? text : text + std::string(width - w, ' ');
}

std::string PadLeft(const std::string& text, size_t width) {
  size_t w = DisplayWidth(text);
  return w >= width ? text : std::string(width - w, ' ') + text;
}

std::string Border(const std::vector<size_t>& widths, const char* left, const char* mid,
                   const char* right) {
  std::string out = left;
  for (size_t i = 0; i < widths.size(); ++i) {
    out += Repeat("─", widths[i] + 2);
    out += i + 1 < widths.size() ? mid : right;
  }
  return out + "\n";
}

std::string Row(const std::vector<size_t>& widths, const std::vector<std::string>& cells) {
  std::string out = "│";
  for (size_t i = 0; i < widths.size(); ++i) {
    out += " " + PadRight(i < cells.size() ? cells[i] : "", widths[i]) + " │";
  }
  return out + "\n";
}

}  // namespace

std::string Table::Render() const {
  size_t columns = headers_.size();
  for (const auto& row : rows_) columns = std::max(columns, row.size());
  if (columns == 0) columns = 1;
  std::vector<size_t> widths(columns, 0);
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = DisplayWidth(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  // Inner width of the title row = sum of cells + their padding + inner separators.
  size_t inner = 0;
  for (size_t w : widths) inner += w + 3;
  inner -= 1;
  size_t title_width = DisplayWidth(title_);
  if (title_width + 2 > inner) {
    widths.back() += title_width + 2 - inner;
    inner = title_width + 2;
  }
  std::string out;
  if (!title_.empty()) {
    out += "╭" + Repeat("─", inner) + "╮\n";
    size_t left = (inner - title_width) / 2;
    out += "│" + std::string(left, ' ') + title_ + std::string(inner - title_width - left, ' ') +
           "│\n";
    out += Border(widths, "├", "┬", "┤");
  } else {
    out += Border(widths, "╭", "┬", "╮");
  }
  if (!headers_.empty()) {
    out += Row(widths, headers_);
    out += Border(widths, "├", "┼", "┤");
  }
  for (const auto& row : rows_) out += Row(widths, row);
  out += Border(widths, "╰", "┴", "╯");
  return out;
}

void Columns::AddSectionTitle(std::string title) {
  lines_.push_back(Line{true, std::move(title), {}});
}

void Columns::AddRow(std::string label, std::string value) {
  lines_.push_back(Line{false, std::move(label), {std::move(value)}});
}

void Columns::AddStringsAsValue(std::string label, std::vector<std::string> values) {
  if (values.empty()) return;
  lines_.push_back(Line{false, std::move(label), std::move(values)});
}

void Columns::AddMapAsValue(std::string label, const std::map<std::string, std::string>& values) {
  size_t key_width = 0;
  for (const auto& [k, v] : values) key_width = std::max(key_width, DisplayWidth(k));
  std::vector<std::string> lines;
  for (const auto& [k, v] : values) lines.push_back(PadLeft(k, key_width) + ": " + v);
  AddStringsAsValue(std::move(label), std::move(lines));
}

std::string Columns::Render() const {
  size_t label_width = 0;
  for (const auto& line : lines_) {
    if (!line.section) label_width = std::max(label_width, DisplayWidth(line.label));
  }
  label_width += 2;
  std::string out = heading_.empty() ? "" : heading_ + "\n\n";
  bool previous_was_row = false;
  for (const auto& line : lines_) {
    if (line.section) {
      out += (previous_was_row ? "\n" : "") + line.label + ":\n\n";
      previous_was_row = false;
      continue;
    }
    for (size_t i = 0; i < line.values.size(); ++i) {
      out += i == 0 ? PadLeft(line.label, label_width) + ": " : std::string(label_width + 2, ' ');
      out += line.values[i] + "\n";
    }
    previous_was_row = true;
  }
  return out;
}

}  // namespace natss3::cli

// Text renderers matching natscli: go-pretty "rounded" tables and the label/value columns view.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace natss3::cli {

// Terminal display width of UTF-8 text (wide East Asian characters count 2 columns).
size_t DisplayWidth(const std::string& text);

// A table in go-pretty's rounded style with a centred title row:
//   ╭───────────────────╮
//   │  Bucket Contents  │
//   ├──────┬──────┬─────┤
//   │ Name │ Size │ Time │ ...
class Table {
 public:
  explicit Table(std::string title) : title_(std::move(title)) {}
  void AddHeaders(std::vector<std::string> headers) { headers_ = std::move(headers); }
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // The rendered table, every line ending in '\n'.
  std::string Render() const;

 private:
  std::string title_;
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// natscli's columns view: a heading, optional "Title:" sections, and rows whose labels are
// right-aligned to the longest label of the whole view plus 2, followed by ": ".
class Columns {
 public:
  explicit Columns(std::string heading) : heading_(std::move(heading)) {}
  void AddSectionTitle(std::string title);
  void AddRow(std::string label, std::string value);
  void AddRowIfNotEmpty(std::string label, std::string value) {
    if (!value.empty()) AddRow(std::move(label), std::move(value));
  }
  // One value per line; continuation lines are indented under the first value.
  void AddStringsAsValue(std::string label, std::vector<std::string> values);
  // "key: value" lines, keys right-aligned to the longest key, sorted by key.
  void AddMapAsValue(std::string label, const std::map<std::string, std::string>& values);
  std::string Render() const;

 private:
  struct Line {
    bool section = false;
    std::string label;
    std::vector<std::string> values;
  };
  std::string heading_;
  std::vector<Line> lines_;
};

}  // namespace natss3::cli

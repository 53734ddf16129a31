// Rows out, in the format the user asked for. Rows are JSON values so that json/jsonl keep
// their types; tables and CSV render them as text. Output streams: a table measures its
// columns on the first rows only, so a long listing never sits in memory.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace ftl::cli {

enum class Format { kTable, kJson, kJsonl, kCsv, kMd };
std::optional<Format> parse_format(const std::string& name);

struct Column {
  std::string key;    // the row's JSON key (snake_case)
  std::string title;  // the table header
  bool right = false; // right-align (numbers)
};

class RowWriter {
 public:
  // header = false continues an earlier listing (ftl log --follow) without a new header.
  RowWriter(std::ostream& out, Format format, std::vector<Column> columns, bool color, bool header = true);
  ~RowWriter();
  RowWriter(const RowWriter&) = delete;
  RowWriter& operator=(const RowWriter&) = delete;
  void row(const nlohmann::json& r);
  void finish();

  static std::string text(const nlohmann::json& v);  // a cell as plain text

 private:
  void flush_table_buffer();
  void table_line(const std::vector<std::string>& cells, bool header);
  std::ostream& out_;
  Format format_;
  std::vector<Column> columns_;
  bool color_;
  bool finished_ = false;
  std::size_t rows_ = 0;
  std::vector<nlohmann::json> buffer_;  // table: the rows that set the column widths
  std::vector<std::size_t> widths_;
  bool header_done_ = false;
  bool header_ = true;
};

// A JSON value as text. Bytes that are not UTF-8 (only a forged ledger holds them: every
// boundary checks text) print as U+FFFD instead of stopping the output.
std::string json_text(const nlohmann::json& v, int indent = -1);

// Display width of UTF-8 text (code points; East Asian wide characters count two).
std::size_t display_width(const std::string& s);

}  // namespace ftl::cli

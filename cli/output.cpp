#include "cli/output.h"

namespace ftl::cli {

std::string json_text(const nlohmann::json& v, int indent) {
  return v.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {
constexpr std::size_t kMeasureRows = 500;
constexpr std::size_t kMaxColumn = 100;  // wider cells overflow rather than being cut

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}
std::string md_cell(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '|') o += "\\|";
    else if (c == '\n') o += "<br>";
    else o += c;
  }
  return o;
}
}  // namespace

std::optional<Format> parse_format(const std::string& name) {
  if (name.empty() || name == "table") return Format::kTable;
  if (name == "json") return Format::kJson;
  if (name == "jsonl") return Format::kJsonl;
  if (name == "csv") return Format::kCsv;
  if (name == "md") return Format::kMd;
  return std::nullopt;
}

std::size_t display_width(const std::string& s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    std::uint32_t cp = c;
    if (len == 3 && i + 2 < s.size())
      cp = ((c & 0x0F) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3F) << 6) | (static_cast<unsigned char>(s[i + 2]) & 0x3F);
    w += (len == 3 && cp >= 0x1100 && (cp <= 0x115F || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
                                       (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF00 && cp <= 0xFF60)))
             ? 2
             : (cp == 0x200B ? 0 : 1);
    i += len;
  }
  return w;
}

std::string RowWriter::text(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) {
      if (!s.empty()) s += ", ";
      s += text(x);
    }
    return s;
  }
  return json_text(v);
}

RowWriter::RowWriter(std::ostream& out, Format format, std::vector<Column> columns, bool color, bool header)
    : out_(out), format_(format), columns_(std::move(columns)), color_(color), header_(header) {
  if (format_ == Format::kJson) out_ << "[";
  if (!header_) return;
  if (format_ == Format::kCsv) {
    for (std::size_t i = 0; i < columns_.size(); ++i) out_ << (i ? "," : "") << csv_cell(columns_[i].key);
    out_ << "\n";
  }
  if (format_ == Format::kMd) {
    out_ << "|";
    for (const auto& c : columns_) out_ << " " << md_cell(c.title) << " |";
    out_ << "\n|";
    for (std::size_t i = 0; i < columns_.size(); ++i) out_ << " --- |";
    out_ << "\n";
  }
}

RowWriter::~RowWriter() { finish(); }

void RowWriter::row(const nlohmann::json& r) {
  switch (format_) {
    case Format::kJson:
      out_ << (rows_ ? ",\n  " : "\n  ") << json_text(r);
      break;
    case Format::kJsonl:
      out_ << json_text(r) << "\n";
      break;
    case Format::kCsv:
      for (std::size_t i = 0; i < columns_.size(); ++i) {
        const auto& v = r.contains(columns_[i].key) ? r[columns_[i].key] : nlohmann::json();
        std::string t = v.is_array() ? "" : v.is_boolean() ? json_text(v) : text(v);
        if (v.is_array())
          for (const auto& x : v) t += (t.empty() ? "" : "; ") + text(x);
        out_ << (i ? "," : "") << csv_cell(t);
      }
      out_ << "\n";
      break;
    case Format::kMd:
      out_ << "|";
      for (const auto& c : columns_) out_ << " " << md_cell(text(r.contains(c.key) ? r[c.key] : nlohmann::json())) << " |";
      out_ << "\n";
      break;
    case Format::kTable:
      if (!header_done_) {
        buffer_.push_back(r);
        if (buffer_.size() >= kMeasureRows) flush_table_buffer();
      } else {
        std::vector<std::string> cells;
        for (const auto& c : columns_) cells.push_back(text(r.contains(c.key) ? r[c.key] : nlohmann::json()));
        table_line(cells, false);
      }
      break;
  }
  ++rows_;
}

void RowWriter::flush_table_buffer() {
  widths_.assign(columns_.size(), 0);
  for (std::size_t i = 0; i < columns_.size(); ++i) widths_[i] = display_width(columns_[i].title);
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : buffer_) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      line.push_back(text(r.contains(columns_[i].key) ? r[columns_[i].key] : nlohmann::json()));
      widths_[i] = std::min(kMaxColumn, std::max(widths_[i], display_width(line.back())));
    }
    cells.push_back(std::move(line));
  }
  std::vector<std::string> titles;
  for (const auto& c : columns_) titles.push_back(c.title);
  header_done_ = true;
  if (header_) table_line(titles, true);
  for (const auto& l : cells) table_line(l, false);
  buffer_.clear();
}

void RowWriter::table_line(const std::vector<std::string>& cells, bool header) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const bool last = i + 1 == cells.size();
    const auto w = display_width(cells[i]);
    const auto pad = widths_[i] > w ? widths_[i] - w : 0;
    if (columns_[i].right) line += std::string(pad, ' ') + cells[i];
    else line += cells[i] + (last ? "" : std::string(pad, ' '));
    if (!last) line += "  ";
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  if (header && color_) out_ << "\x1b[1m" << line << "\x1b[0m\n";
  else out_ << line << "\n";
}

void RowWriter::finish() {
  if (finished_) return;
  finished_ = true;
  if (format_ == Format::kJson) out_ << (rows_ ? "\n]\n" : "]\n");
  if (format_ == Format::kTable && !header_done_) {
    if (buffer_.empty()) {
      out_.flush();
      return;  // nothing to show: an empty table prints nothing
    }
    flush_table_buffer();
  }
  out_.flush();
}

}  // namespace ftl::cli

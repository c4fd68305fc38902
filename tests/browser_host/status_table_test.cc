#include "browser_host/status_table.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bulkhead {
namespace {

const std::vector<std::string> kTitles = {
    "HELPER", "PID", "ROLE",         "STATE",    "UPTIME",  "CPU%",
    "MEM",    "RTT", "MSG/S IN/OUT", "RESTARTS", "SANDBOX", "LAST EXIT"};

std::vector<std::string> Lines(const std::string& table) {
  EXPECT_FALSE(table.empty());
  EXPECT_EQ(table.back(), '\n');
  std::vector<std::string> lines = absl::StrSplit(table, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// Where each column starts, from the header.
std::vector<size_t> ColumnOffsets(
    const std::string& header,
    const std::vector<std::string>& titles = kTitles) {
  std::vector<size_t> offsets;
  size_t from = 0;
  for (const std::string& title : titles) {
    const size_t at = header.find(title, from);
    EXPECT_NE(at, std::string::npos) << title << " missing from: " << header;
    if (at == std::string::npos) return offsets;
    offsets.push_back(at);
    from = at + title.size();
  }
  return offsets;
}

// The cells of `line`, cut at `offsets` and stripped of padding.
std::vector<std::string> Cells(const std::string& line,
                               const std::vector<size_t>& offsets) {
  std::vector<std::string> cells;
  for (size_t c = 0; c < offsets.size(); ++c) {
    const size_t begin = offsets[c];
    const size_t end = c + 1 < offsets.size() ? offsets[c + 1] : line.size();
    std::string cell =
        begin < line.size() ? line.substr(begin, end - begin) : "";
    while (!cell.empty() && cell.back() == ' ') cell.pop_back();
    cells.push_back(cell);
  }
  return cells;
}

std::vector<HelperRow> SampleRows() {
  HelperRow renderer;
  renderer.name = "renderer-1";
  renderer.pid = 4242;
  renderer.role = "renderer";
  renderer.state = "ready";
  renderer.uptime = absl::Milliseconds(1500);
  renderer.round_trip = absl::Microseconds(87);
  renderer.messages_in_per_second = 2.0;
  renderer.messages_out_per_second = 3.5;
  renderer.restarts = 3;
  renderer.cpu_percent = 12.34;
  renderer.resident_bytes = 5'500'000;
  renderer.sandbox = "on";
  renderer.last_exit = "crashed (signal 11 SIGSEGV)";

  HelperRow gpu;
  gpu.name = "gpu-22";
  gpu.pid = 7;
  gpu.role = "gpu";
  gpu.state = "starting";
  gpu.uptime = absl::Seconds(0);
  gpu.sandbox = "off";

  HelperRow utility;
  utility.name = "u";
  utility.pid = 0;
  utility.role = "a-rather-long-role-name";
  utility.state = "stopping";
  utility.uptime = absl::Seconds(3600);
  utility.round_trip = absl::Milliseconds(12);
  utility.sandbox = "";
  return {renderer, gpu, utility};
}

TEST(StatusTableTest, HeaderComesFirst) {
  const std::vector<std::string> lines = Lines(FormatStatusTable(SampleRows()));
  ASSERT_EQ(lines.size(), 4u);
  std::vector<size_t> offsets = ColumnOffsets(lines[0]);
  ASSERT_EQ(offsets.size(), kTitles.size());
  EXPECT_EQ(offsets[0], 0u);
  EXPECT_EQ(Cells(lines[0], offsets), kTitles);
}

TEST(StatusTableTest, EmptyTableIsJustTheHeader) {
  const std::vector<std::string> lines = Lines(FormatStatusTable({}));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Cells(lines[0], ColumnOffsets(lines[0])), kTitles);
}

TEST(StatusTableTest, EveryCellStartsAtItsColumnsOffset) {
  const std::vector<HelperRow> rows = SampleRows();
  const std::vector<std::string> lines = Lines(FormatStatusTable(rows));
  ASSERT_EQ(lines.size(), rows.size() + 1);
  const std::vector<size_t> offsets = ColumnOffsets(lines[0]);
  ASSERT_EQ(offsets.size(), kTitles.size());

  for (size_t r = 0; r < rows.size(); ++r) {
    const std::string& line = lines[r + 1];
    const std::vector<std::string> expected = {
        rows[r].name,
        rows[r].pid == 0 ? "-" : absl::StrCat(rows[r].pid),
        rows[r].role,
        rows[r].state,
        "",  // Uptime, CPU, memory, RTT and rate formats are checked below.
        "",
        "",
        "",
        "",
        absl::StrCat(rows[r].restarts),
        rows[r].sandbox,
        rows[r].last_exit.empty() ? "-" : rows[r].last_exit,
    };
    for (size_t c = 0; c < offsets.size(); ++c) {
      if (expected[c].empty()) continue;
      ASSERT_LE(offsets[c] + expected[c].size(), line.size()) << line;
      EXPECT_EQ(line.substr(offsets[c], expected[c].size()), expected[c])
          << "row " << r << " column " << kTitles[c] << ": " << line;
      // Padding, not the tail of the previous cell, precedes every column.
      if (offsets[c] > 0) {
        EXPECT_EQ(line[offsets[c] - 1], ' ') << line;
      }
    }
    EXPECT_NE(line.back(), ' ') << "trailing blanks: '" << line << "'";
  }
}

TEST(StatusTableTest, ColumnsAreSeparatedByAtLeastTwoSpaces) {
  const std::vector<std::string> lines = Lines(FormatStatusTable(SampleRows()));
  const std::vector<size_t> offsets = ColumnOffsets(lines[0]);
  ASSERT_EQ(offsets.size(), kTitles.size());
  for (const std::string& line : lines) {
    const std::vector<std::string> cells = Cells(line, offsets);
    for (size_t c = 0; c + 1 < offsets.size(); ++c) {
      EXPECT_LE(offsets[c] + cells[c].size() + 2, offsets[c + 1])
          << "column " << kTitles[c] << " crowds the next in: " << line;
    }
  }
}

TEST(StatusTableTest, WidestCellSetsTheColumnWidth) {
  std::vector<HelperRow> rows = SampleRows();
  const std::vector<std::string> lines = Lines(FormatStatusTable(rows));
  const std::vector<size_t> offsets = ColumnOffsets(lines[0]);
  ASSERT_EQ(offsets.size(), kTitles.size());
  // ROLE's widest cell is the utility's long role: exactly two blanks follow
  // it.
  EXPECT_EQ(offsets[3] - offsets[2], rows[2].role.size() + 2);
}

TEST(StatusTableTest, CellFormats) {
  const std::vector<HelperRow> rows = SampleRows();
  const std::vector<std::string> lines = Lines(FormatStatusTable(rows));
  const std::vector<size_t> offsets = ColumnOffsets(lines[0]);
  ASSERT_EQ(offsets.size(), kTitles.size());
  const std::vector<std::string> renderer = Cells(lines[1], offsets);
  const std::vector<std::string> gpu = Cells(lines[2], offsets);
  const std::vector<std::string> utility = Cells(lines[3], offsets);
  EXPECT_EQ(renderer[7], "87 us");
  EXPECT_EQ(gpu[7], "-");  // Never measured.
  EXPECT_EQ(utility[7], "12000 us");
  EXPECT_EQ(renderer[5], "12.3");
  EXPECT_EQ(renderer[6], "5.5 MB");
  EXPECT_EQ(renderer[8], "2.0/3.5");
  EXPECT_EQ(gpu[8], "-");  // No sample period yet.
  EXPECT_EQ(renderer[11], "crashed (signal 11 SIGSEGV)");
  EXPECT_EQ(gpu[11], "-");
  EXPECT_EQ(utility[1], "-");  // No process.
  EXPECT_EQ(gpu[5], "-");      // The OS could not tell.
  EXPECT_EQ(gpu[6], "-");
  EXPECT_EQ(renderer[4], "1.5 s");
  EXPECT_EQ(gpu[4], "0.0 s");
  EXPECT_EQ(utility[4], "3600.0 s");
  EXPECT_EQ(utility[10], "");  // An empty sandbox cell stays empty.
}

TEST(StatusTableTest, AnOverduePingReplacesTheLastRoundTrip) {
  std::vector<HelperRow> rows = SampleRows();
  rows[0].state = "unresponsive";
  rows[0].overdue_ping = absl::Milliseconds(3200);
  const std::vector<std::string> lines = Lines(FormatStatusTable(rows));
  const std::vector<size_t> offsets = ColumnOffsets(lines[0]);
  ASSERT_EQ(offsets.size(), kTitles.size());
  const std::vector<std::string> renderer = Cells(lines[1], offsets);
  EXPECT_EQ(renderer[3], "unresponsive");
  EXPECT_EQ(renderer[7], "ping overdue 3.2s");
  EXPECT_EQ(Cells(lines[3], offsets)[7], "12000 us");  // Others unchanged.
}

// Rows as a busy demo has them: a long pid, an unresponsive helper, the
// longest exits.
std::vector<HelperRow> BusyRows() {
  std::vector<HelperRow> rows = SampleRows();
  rows.resize(2);
  rows[0].pid = 4194304;
  rows[0].state = "unresponsive";
  rows[0].overdue_ping = absl::Milliseconds(3200);
  rows[1].last_exit = "stopped-by-host: restart requested";
  rows[1].restarts = 12;
  rows[1].messages_in_per_second = 12.5;
  rows[1].messages_out_per_second = 10.0;
  return rows;
}

// `cell` is `full`, or `full` cut and ending in the mark.
void ExpectWholeOrMarked(const std::string& cell, const std::string& full) {
  if (cell == full) return;
  ASSERT_FALSE(cell.empty()) << full;
  EXPECT_EQ(cell.back(), '>') << cell << " for " << full;
  EXPECT_EQ(full.substr(0, cell.size() - 1), cell.substr(0, cell.size() - 1))
      << cell << " for " << full;
}

TEST(StatusTableWidthTest, TwoHundredColumnsGetTheWholeTable) {
  const std::vector<HelperRow> rows = BusyRows();
  const std::string table = FormatStatusTable(rows, 200);
  EXPECT_EQ(table, FormatStatusTable(rows));
  size_t widest = 0;
  for (const std::string& line : Lines(table))
    widest = std::max(widest, line.size());
  EXPECT_GT(widest, 80u);  // Wider than the narrow terminals below.
  EXPECT_LE(widest, 200u);
  EXPECT_EQ(Cells(Lines(table)[0], ColumnOffsets(Lines(table)[0])), kTitles);
}

// Every column but ROLE (each helper's name starts with its role), numbers
// whole, and the widest texts cut with a mark.
TEST(StatusTableWidthTest, EightyColumnsKeepTheColumnsAndMarkWhatIsCut) {
  const std::vector<HelperRow> rows = BusyRows();
  const std::vector<std::string> lines = Lines(FormatStatusTable(rows, 80));
  ASSERT_EQ(lines.size(), rows.size() + 1);
  for (const std::string& line : lines) EXPECT_LE(line.size(), 80u) << line;
  const std::vector<std::string> titles = {
      "HELPER", "PID",   "STATE", "UPTIME", "CPU%",     "MEM",
      "RTT",    "MSG/S", "RST",   "SBX",    "LAST EXIT"};
  const std::vector<size_t> offsets = ColumnOffsets(lines[0], titles);
  ASSERT_EQ(offsets.size(), titles.size()) << lines[0];
  const std::vector<std::string> wide = Lines(FormatStatusTable(rows));
  const std::vector<size_t> wide_offsets = ColumnOffsets(wide[0]);
  bool cut = false;
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::vector<std::string> cells = Cells(lines[r + 1], offsets);
    std::vector<std::string> full = Cells(wide[r + 1], wide_offsets);
    full.erase(full.begin() + 2);  // ROLE.
    for (size_t c = 0; c < titles.size(); ++c) {
      SCOPED_TRACE(titles[c]);
      if (titles[c] == "STATE" || titles[c] == "RTT" ||
          titles[c] == "LAST EXIT") {
        ExpectWholeOrMarked(cells[c], full[c]);
        cut |= cells[c] != full[c];
      } else {
        EXPECT_EQ(cells[c], full[c]);
      }
    }
  }
  EXPECT_TRUE(cut);  // These rows do not fit otherwise.
}

// Too narrow for every column even so: each line is cut, with the mark, and
// what it shows is whole.
TEST(StatusTableWidthTest, SixtyColumnsCutTheLinesWithAMark) {
  const std::vector<HelperRow> rows = BusyRows();
  const std::vector<std::string> lines = Lines(FormatStatusTable(rows, 60));
  ASSERT_EQ(lines.size(), rows.size() + 1);
  for (const std::string& line : lines) {
    EXPECT_EQ(line.size(), 60u) << line;
    EXPECT_EQ(line.back(), '>') << line;
  }
  EXPECT_THAT(lines[0], ::testing::StartsWith("HELPER"));
  EXPECT_THAT(lines[1], ::testing::StartsWith("renderer-1 4194304 unresponsive "
                                              "1.5 s  12.3 5.5 MB "));
}

TEST(StatusTableWidthTest, NoLimitIsTheWholeTable) {
  EXPECT_EQ(FormatStatusTable(BusyRows(), 0), FormatStatusTable(BusyRows()));
}

}  // namespace
}  // namespace bulkhead

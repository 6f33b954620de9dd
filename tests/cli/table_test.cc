// Unit tests of the rounded table and the columns view.
#include "table.h"

#include <gtest/gtest.h>

namespace natss3::cli {
namespace {

TEST(TableTest, RoundedWithCentredTitle) {
  Table t("Bucket Contents");
  t.AddHeaders({"Name", "Size", "Time"});
  t.AddRow({"hello.txt", "11 B", "T"});
  EXPECT_EQ(t.Render(),
            "╭─────────────────────────╮\n"
            "│     Bucket Contents     │\n"
            "├───────────┬──────┬──────┤\n"
            "│ Name      │ Size │ Time │\n"
            "├───────────┼──────┼──────┤\n"
            "│ hello.txt │ 11 B │ T    │\n"
            "╰───────────┴──────┴──────╯\n");
}

TEST(TableTest, WideCharactersCountTwoColumns) {
  Table t("");
  t.AddHeaders({"Name"});
  t.AddRow({"日本語"});
  EXPECT_EQ(t.Render(),
            "╭────────╮\n"
            "│ Name   │\n"
            "├────────┤\n"
            "│ 日本語 │\n"
            "╰────────╯\n");
}

TEST(TableTest, WidensLastColumnForLongTitle) {
  Table t("A Long Title");
  t.AddHeaders({"A", "B"});
  EXPECT_EQ(t.Render(),
            "╭──────────────╮\n"
            "│ A Long Title │\n"
            "├───┬──────────┤\n"
            "│ A │ B        │\n"
            "├───┼──────────┤\n"
            "╰───┴──────────╯\n");
}

TEST(ColumnsTest, LabelsRightAlignedToLongestPlusTwo) {
  Columns c("Heading");
  c.AddSectionTitle("Configuration");
  c.AddRow("Name", "x");
  c.AddRowIfNotEmpty("Empty", "");
  c.AddRow("Longer Label", "y");
  c.AddStringsAsValue("Multi", {"a", "b"});
  c.AddMapAsValue("Map", {{"k", "1"}, {"long", "2"}});
  c.AddSectionTitle("Other");
  c.AddRow("Z", "z");
  EXPECT_EQ(c.Render(),
            "Heading\n"
            "\n"
            "Configuration:\n"
            "\n"
            "          Name: x\n"
            "  Longer Label: y\n"
            "         Multi: a\n"
            "                b\n"
            "           Map:    k: 1\n"
            "                long: 2\n"
            "\n"
            "Other:\n"
            "\n"
            "             Z: z\n");
}

}  // namespace
}  // namespace natss3::cli

// Object-name components as file names: the escaped spelling, its inverse, directory paths.
#include "shown_names.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace natss3::fs {
namespace {

using namespace std::string_literals;

TEST(ShownNamesTest, OnlyUnshowableComponentsAreEscaped) {
  EXPECT_EQ(ShownName("plain.txt"), "plain.txt");
  EXPECT_EQ(ShownName("100%"), "100%");
  EXPECT_EQ(ShownName("my%20file.pdf"), "my%20file.pdf");  // not the escape of anything odd
  EXPECT_EQ(ShownName("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(ShownName("a\0x"s), "a%00x");
  EXPECT_EQ(ShownName("bad\xFF" "50%"), "bad%FF50%25");
  EXPECT_EQ(ShownName("\xC3"), "%C3");  // a cut UTF-8 sequence
  EXPECT_EQ(ShownName(""), "%");
  EXPECT_EQ(ShownName("."), "%2E");
  EXPECT_EQ(ShownName(".."), "%2E%2E");
  EXPECT_EQ(ShownName("..."), "...");
  // Real names that read as an escape are escaped themselves, so no two objects collide.
  EXPECT_EQ(ShownName("%00"), "%2500");
  EXPECT_EQ(ShownName("%2500"), "%252500");
  EXPECT_EQ(ShownName("%"), "%25");
  EXPECT_EQ(ShownName("%2E"), "%252E");
}

TEST(ShownNamesTest, ParseInvertsAndRefusesOtherSpellings) {
  EXPECT_EQ(ParseShownName("a%00x"), "a\0x"s);
  EXPECT_EQ(ParseShownName("%"), "");
  EXPECT_EQ(ParseShownName("%2E%2E"), "..");
  EXPECT_EQ(ParseShownName("%2500"), "%00");
  EXPECT_EQ(ParseShownName("my%20file.pdf"), "my%20file.pdf");
  EXPECT_EQ(ParseShownName("100%ab"), "100%ab");  // lower-case hex is no escape
  EXPECT_FALSE(ParseShownName("bad\xFF"));       // malformed UTF-8 names no object
  EXPECT_FALSE(ParseShownName(""));
  EXPECT_FALSE(ParseShownName(".."));
}

// Every component has one spelling and every spelling one component.
TEST(ShownNamesTest, RoundTripsWithoutCollisions) {
  std::vector<std::string> pieces = {"",   "a",  ".",   "%",    "%00", "%25", "\0"s, "\xFF",
                                     "2E", "%2", "%2E", "\xC3", "\xA9", "b/", "%FF", "0"};
  std::set<std::string> components, shown;
  for (const auto& x : pieces) {
    for (const auto& y : pieces) {
      for (const auto& z : pieces) components.insert(x + y + z);
    }
  }
  for (const auto& c : components) {
    if (c.find('/') != std::string::npos) continue;
    std::string name = ShownName(c);
    EXPECT_EQ(name.find('\0'), std::string::npos);
    EXPECT_NE(name, ".");
    EXPECT_NE(name, "..");
    EXPECT_FALSE(name.empty());
    EXPECT_TRUE(shown.insert(name).second) << "two components shown as " << name;
    auto back = ParseShownName(name);
    ASSERT_TRUE(back) << name;
    EXPECT_EQ(*back, c);
  }
}

TEST(ShownNamesTest, DirectoryPathsAndKeyPrefixes) {
  EXPECT_EQ(DirPrefix(""), "");      // the bucket root
  EXPECT_EQ(DirPrefix("a"), "a/");
  EXPECT_EQ(DirPrefix("/"), "/");    // the directory "" at the root ("/x")
  EXPECT_EQ(DirPrefix("a//"), "a//");
  EXPECT_EQ(ChildPath("", "x"), "x");
  EXPECT_EQ(ChildPath("", ""), "/");
  EXPECT_EQ(ChildPath("/", "x"), "/x");
  EXPECT_EQ(ChildPath("/", ""), "//");
  EXPECT_EQ(ChildPath("a", ""), "a//");
  EXPECT_EQ(ChildPath("a//", "b"), "a//b");
  for (std::string path : {"a", "/", "//", "a//", "a/b", "/x"}) {
    EXPECT_EQ(PathOfPrefix(DirPrefix(path)), path);
  }
  std::string parent, child;
  SplitKey("a//b", &parent, &child);
  EXPECT_EQ(parent, "a//");
  EXPECT_EQ(child, "b");
  SplitKey("/", &parent, &child);  // the marker of directory "" at the root
  EXPECT_EQ(parent, "");
  EXPECT_EQ(child, "");
  SplitKey("a/b/", &parent, &child);
  EXPECT_EQ(parent, "a");
  EXPECT_EQ(child, "b");
  SplitKey("x", &parent, &child);
  EXPECT_EQ(parent, "");
  EXPECT_EQ(child, "x");
}

}  // namespace
}  // namespace natss3::fs

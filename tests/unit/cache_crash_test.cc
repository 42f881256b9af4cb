// Writers killed with SIGKILL at random points, 120 times: a child writes
// binaries and tuning records in a loop and reports each commit through a
// pipe; the parent kills it after a random short delay. After every kill the
// store must open, everything committed before (by the parent or by any
// earlier child) must still be there and intact, and every file in the store
// must verify: a killed writer leaves at most a temp file, never a damaged
// entry.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cache/store.h"
#include "cache/testing/temp_dir.h"

namespace hrt::cache {
namespace {

constexpr int kKills = 120;
constexpr int kChildKeys = 12;
constexpr int kRecordKeys = 3;

Key ChildKey(int i) {
  return KeyBuilder().Backend("crash").Kernel("child" + std::to_string(i)).Build();
}
Key ParentKey(int i) {
  return KeyBuilder().Backend("crash").Kernel("parent" + std::to_string(i)).Build();
}
Key RecordKey(int i) {
  return KeyBuilder().Backend("crash").ShapeBucket(std::to_string(i)).Build();
}

// [key.hi][key.lo][version][body][xxh3-64 of the rest]
std::vector<uint8_t> Payload(const Key& key, uint64_t version, size_t body) {
  std::vector<uint8_t> p(24 + body + 8);
  const uint64_t head[3] = {key.hi, key.lo, version};
  std::memcpy(p.data(), head, sizeof(head));
  // Incompressible, so files are large and a kill often lands mid-write.
  std::mt19937_64 rng(version);
  for (size_t i = 0; i < body; ++i) p[24 + i] = static_cast<uint8_t>(rng());
  const uint64_t h = XXH3_64bits(p.data(), p.size() - 8);
  std::memcpy(p.data() + p.size() - 8, &h, 8);
  return p;
}

// The version in |p| when it is intact and of |key|; -1 otherwise.
int64_t VersionOf(const std::vector<uint8_t>& p, const Key& key) {
  if (p.size() < 32) return -1;
  uint64_t head[3], h;
  std::memcpy(head, p.data(), sizeof(head));
  std::memcpy(&h, p.data() + p.size() - 8, 8);
  if (XXH3_64bits(p.data(), p.size() - 8) != h || head[0] != key.hi || head[1] != key.lo) return -1;
  return static_cast<int64_t>(head[2]);
}

StoreOptions Options(const std::string& dir) {
  StoreOptions o;
  o.dir = dir;
  o.memory_bytes = 0;
  o.max_bytes = uint64_t{1} << 30;  // nothing committed may be evicted here
  return o;
}

// What a child sends after each commit: 16 bytes, so one write() is atomic.
struct Commit {
  uint32_t kind;  // 0 binary, 1 record
  uint32_t index;
  uint64_t version;
};

[[noreturn]] void Child(const std::string& dir, int fd, uint64_t iteration) {
  Result<std::unique_ptr<Store>> s = Store::Open(Options(dir));
  if (!s.ok()) ::_exit(2);
  std::mt19937_64 rng(iteration);
  for (uint64_t n = 0;; ++n) {
    const uint64_t version = (iteration << 20) | n;  // grows across children
    Commit c{};
    c.version = version;
    if (rng() % 3 != 0) {
      c.kind = 0;
      c.index = static_cast<uint32_t>(rng() % kChildKeys);
      if (!(*s)->Put(ChildKey(static_cast<int>(c.index)),
                     Payload(ChildKey(static_cast<int>(c.index)), version, rng() % 20000))
               .ok())
        ::_exit(3);
    } else {
      c.kind = 1;
      c.index = static_cast<uint32_t>(rng() % kRecordKeys);
      if (!(*s)->AppendRecord(RecordKey(static_cast<int>(c.index)),
                              Payload(RecordKey(static_cast<int>(c.index)), version, rng() % 64))
               .ok())
        ::_exit(4);
    }
    if (::write(fd, &c, sizeof(c)) != static_cast<ssize_t>(sizeof(c))) ::_exit(5);
  }
}

TEST(CacheCrash, KilledWritersNeverDamageOrLoseCommittedData) {
  testing::TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  const std::string dir = tmp.path() + "/store";
  // Committed before any crash, by a writer that finished normally.
  {
    auto s = Store::Open(Options(dir));
    ASSERT_TRUE(s.ok()) << s.status().message();
    for (int i = 0; i < 8; ++i)
      ASSERT_TRUE((*s)->Put(ParentKey(i), Payload(ParentKey(i), 7, 3000)).ok());
    ASSERT_TRUE((*s)->AppendRecord(RecordKey(0), Payload(RecordKey(0), 7, 10)).ok());
  }
  std::map<uint32_t, uint64_t> binary_floor;  // child key -> newest committed version
  std::set<std::pair<uint32_t, uint64_t>> records = {{0, 7}};
  std::mt19937_64 rng(12345);
  uint64_t child_commits = 0;
  for (int iter = 1; iter <= kKills; ++iter) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      Child(dir, fds[1], static_cast<uint64_t>(iter));
    }
    ::close(fds[1]);
    // From "before the store opened" to "dozens of commits in".
    ::usleep(static_cast<useconds_t>(rng() % 15000));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "child " << iter << " exited by itself: " << WEXITSTATUS(status);
    Commit c{};
    while (::read(fds[0], &c, sizeof(c)) == static_cast<ssize_t>(sizeof(c))) {
      ++child_commits;
      if (c.kind == 0) {
        binary_floor[c.index] = std::max(binary_floor[c.index], c.version);
      } else {
        records.insert({c.index, c.version});
      }
    }
    ::close(fds[0]);

    auto s = Store::Open(Options(dir));
    ASSERT_TRUE(s.ok()) << "after kill " << iter << ": " << s.status().message();
    for (int i = 0; i < 8; ++i) {
      Blob b = (*s)->Get(ParentKey(i));
      ASSERT_TRUE(b) << "after kill " << iter << ": parent entry " << i << " lost";
      ASSERT_EQ(VersionOf(*b, ParentKey(i)), 7);
    }
    for (const auto& [index, floor] : binary_floor) {
      Blob b = (*s)->Get(ChildKey(static_cast<int>(index)));
      ASSERT_TRUE(b) << "after kill " << iter << ": committed entry " << index << " lost";
      // A newer version may have been renamed in just before the kill.
      ASSERT_GE(VersionOf(*b, ChildKey(static_cast<int>(index))), static_cast<int64_t>(floor));
    }
    if (iter % 10 == 0 || iter == kKills) {
      std::set<std::pair<uint32_t, uint64_t>> found;
      for (uint32_t k = 0; k < kRecordKeys; ++k) {
        Result<std::vector<TuningRecord>> recs = (*s)->Records(RecordKey(static_cast<int>(k)));
        ASSERT_TRUE(recs.ok());
        for (const TuningRecord& t : *recs) {
          const int64_t v = VersionOf(t.data, RecordKey(static_cast<int>(k)));
          ASSERT_GE(v, 0);
          found.insert({k, static_cast<uint64_t>(v)});
        }
      }
      for (const auto& r : records) {
        ASSERT_TRUE(found.count(r)) << "after kill " << iter << ": committed record " << r.first
                                    << "/" << r.second << " lost";
      }
      Result<VerifyReport> v = (*s)->Verify();
      ASSERT_TRUE(v.ok());
      ASSERT_EQ(v->dropped, 0u) << "after kill " << iter << ": "
                                << (v->problems.empty() ? "" : v->problems[0]);
    }
  }
  // Temp files left behind show that kills landed mid-write too.
  size_t temps = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().filename().string().rfind(".tmp-", 0) == 0) ++temps;
  }
  std::printf("%d kills, %llu commits reported, %zu temp files left by killed writers\n", kKills,
              static_cast<unsigned long long>(child_commits), temps);
  EXPECT_GT(child_commits, 200u) << "the children must have been killed mid-work, not at start";
}

}  // namespace
}  // namespace hrt::cache

// Many processes on one store at once: 8 forked writers, each running 1000
// mixed operations (put, get, append and read tuning records, prune) against
// a small cap so eviction runs constantly. Every payload checks itself (it
// embeds its key and a hash of its bytes), so a torn, stale-named or foreign
// file served by Get is caught; afterwards every tuning record that any
// process saw committed must still be there.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cache/store.h"
#include "cache/testing/temp_dir.h"

namespace hrt::cache {
namespace {

constexpr int kProcesses = 8;
constexpr int kOpsPerProcess = 1000;
constexpr int kBinaryKeys = 48;
constexpr int kRecordKeys = 4;
constexpr uint64_t kCap = 512 << 10;
constexpr uint64_t kPruneTo = 384 << 10;  // more than all records together

Key BinaryKey(int i) {
  return KeyBuilder().Backend("stress").Kernel("bin" + std::to_string(i)).Build();
}
Key RecordKey(int i) {
  return KeyBuilder().Backend("stress").ShapeBucket("rec" + std::to_string(i)).Build();
}

// [key.hi][key.lo][writer][seq][body...][xxh3-64 of everything before]
std::vector<uint8_t> SelfChecking(const Key& key, uint64_t writer, uint64_t seq, size_t body,
                                  std::mt19937_64& rng) {
  std::vector<uint8_t> p(32 + body + 8);
  const uint64_t head[4] = {key.hi, key.lo, writer, seq};
  std::memcpy(p.data(), head, sizeof(head));
  // Half-compressible: a small alphabet, like code (16 letters from each
  // 64-bit draw).
  for (size_t i = 0; i < body; i += 16) {
    uint64_t bits = rng();
    for (size_t j = i; j < std::min(body, i + 16); ++j, bits >>= 4) {
      p[32 + j] = static_cast<uint8_t>('a' + (bits & 15));
    }
  }
  const uint64_t h = XXH3_64bits(p.data(), p.size() - 8);
  std::memcpy(p.data() + p.size() - 8, &h, 8);
  return p;
}

// Empty when |p| is intact and belongs to |key|; else what is wrong.
std::string CheckPayload(const std::vector<uint8_t>& p, const Key& key) {
  if (p.size() < 40) return "payload too short";
  uint64_t head[4], h;
  std::memcpy(head, p.data(), sizeof(head));
  std::memcpy(&h, p.data() + p.size() - 8, 8);
  if (XXH3_64bits(p.data(), p.size() - 8) != h) return "payload hash mismatch";
  if (head[0] != key.hi || head[1] != key.lo) return "payload of another key";
  return "";
}

// One writer process's loop. Returns the committed records ("writer seq")
// through |log|; exits non-zero on the first violation.
int Worker(const std::string& dir, int id, const std::string& log) {
  StoreOptions o;
  o.dir = dir;
  o.max_bytes = kCap;
  o.memory_bytes = id % 2 == 0 ? 0 : 256 << 10;  // half the readers always go to disk
  o.stamp_interval_ns = id % 3 == 0 ? 0 : 1000000;
  Result<std::unique_ptr<Store>> opened = Store::Open(o);
  if (!opened.ok()) {
    std::fprintf(stderr, "worker %d: open: %s\n", id, opened.status().message().c_str());
    return 2;
  }
  Store& s = **opened;
  std::mt19937_64 rng(static_cast<uint64_t>(id) * 7919 + 1);
  std::ofstream committed(log);
  for (uint64_t op = 0; op < kOpsPerProcess; ++op) {
    const unsigned r = static_cast<unsigned>(rng() % 100);
    if (r < 38) {
      const Key k = BinaryKey(static_cast<int>(rng() % kBinaryKeys));
      if (Blob b = s.Get(k)) {
        if (std::string bad = CheckPayload(*b, k); !bad.empty()) {
          std::fprintf(stderr, "worker %d: Get served a bad entry: %s\n", id, bad.c_str());
          return 3;
        }
      }
    } else if (r < 73) {
      const Key k = BinaryKey(static_cast<int>(rng() % kBinaryKeys));
      const std::vector<uint8_t> p =
          SelfChecking(k, static_cast<uint64_t>(id), op, 1000 + rng() % 15000, rng);
      if (Status st = s.Put(k, p); !st.ok()) {
        std::fprintf(stderr, "worker %d: Put: %s\n", id, st.message().c_str());
        return 4;
      }
    } else if (r < 97) {
      const Key k = RecordKey(static_cast<int>(rng() % kRecordKeys));
      const std::vector<uint8_t> p =
          SelfChecking(k, static_cast<uint64_t>(id), op, rng() % 24, rng);
      if (Status st = s.AppendRecord(k, p); !st.ok()) {
        std::fprintf(stderr, "worker %d: AppendRecord: %s\n", id, st.message().c_str());
        return 5;
      }
      committed << id << ' ' << op << '\n';
    } else if (r < 99) {
      const Key k = RecordKey(static_cast<int>(rng() % kRecordKeys));
      Result<std::vector<TuningRecord>> recs = s.Records(k);
      if (!recs.ok()) return 6;
      for (const TuningRecord& t : *recs) {
        if (std::string bad = CheckPayload(t.data, k); !bad.empty()) {
          std::fprintf(stderr, "worker %d: Records served a bad record: %s\n", id, bad.c_str());
          return 7;
        }
      }
    } else {
      if (!s.Prune(kPruneTo).ok()) return 8;
    }
  }
  committed.flush();
  return committed ? 0 : 9;
}

TEST(CacheConcurrency, ManyProcessesNeverServeCorruptDataOrLoseRecords) {
  testing::TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  const std::string dir = tmp.path() + "/store";
  std::vector<pid_t> pids;
  for (int id = 0; id < kProcesses; ++id) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const int rc = Worker(dir, id, tmp.path() + "/log" + std::to_string(id));
      std::fflush(stderr);
      ::_exit(rc);
    }
    pids.push_back(pid);
  }
  for (size_t i = 0; i < pids.size(); ++i) {
    int status = 0;
    ASSERT_EQ(::waitpid(pids[i], &status, 0), pids[i]);
    ASSERT_TRUE(WIFEXITED(status)) << "worker " << i << " crashed";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "worker " << i << " saw a violation (stderr says which)";
  }

  StoreOptions o;
  o.dir = dir;
  o.max_bytes = kCap;
  o.memory_bytes = 0;
  auto s = Store::Open(o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::set<std::pair<uint64_t, uint64_t>> stored;  // (writer, seq) of every record
  for (int k = 0; k < kRecordKeys; ++k) {
    Result<std::vector<TuningRecord>> recs = (*s)->Records(RecordKey(k));
    ASSERT_TRUE(recs.ok());
    for (const TuningRecord& t : *recs) {
      ASSERT_EQ(CheckPayload(t.data, RecordKey(k)), "");
      uint64_t head[4];
      std::memcpy(head, t.data.data(), sizeof(head));
      EXPECT_TRUE(stored.insert({head[2], head[3]}).second) << "record stored twice";
    }
  }
  size_t committed = 0;
  for (int id = 0; id < kProcesses; ++id) {
    std::ifstream log(tmp.path() + "/log" + std::to_string(id));
    uint64_t writer = 0, seq = 0;
    while (log >> writer >> seq) {
      ++committed;
      EXPECT_TRUE(stored.count({writer, seq}))
          << "committed record " << writer << "/" << seq << " lost";
    }
  }
  EXPECT_EQ(stored.size(), committed) << "a record appeared that no writer committed";
  EXPECT_GT(committed, 1500u);

  Result<VerifyReport> v = (*s)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->dropped, 0u) << "a published file was damaged: "
                            << (v->problems.empty() ? "" : v->problems[0]);
  Result<StoreStats> st = (*s)->Stats();
  ASSERT_TRUE(st.ok());
  EXPECT_LE(st->bytes, kCap);
  EXPECT_GT(st->entries, 0u);
  EXPECT_GT(st->hits, 0u);
  EXPECT_GT(st->misses, 0u);
  for (int k = 0; k < kBinaryKeys; ++k) {
    if (Blob b = (*s)->Get(BinaryKey(k))) {
      EXPECT_EQ(CheckPayload(*b, BinaryKey(k)), "");
    }
  }
}

}  // namespace
}  // namespace hrt::cache

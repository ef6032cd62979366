// The acceptor's durable state under power cuts (storage/node_store on a CrashFileSystem): a
// recorded run of an acceptor's saves is cut at every change it makes to the disk (each open
// that creates or truncates, write, fsync, ftruncate, rename, unlink, mkdir), under every way
// the unsynced part can survive (CrashFileSystem::kCuts). Each time a restarted store must start
// and hold the state before or after the save in flight: never less than what a returned save
// made durable, since the acceptor may have replied to it (persist before reply), and never a
// mix of a step. The second test cuts, restarts, saves more and cuts again: what a save does to
// the remains of the first cut (a torn append cut away) must be durable before it builds on it.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <functional>
#include <map>

#include "crash_file_system.hpp"
#include "storage/node_store.hpp"

using paxos::core::DurableState;
using paxos::storage::NodeStore;
using paxos::storage::StorageError;

namespace paxos::test {
namespace {

constexpr uint32_t kUid = 1;
constexpr uint64_t kHostsHash = 0xfeedfacecafebeef;
const std::string kDir = "/acceptor/data";  // neither directory exists: the store creates both
// A small slack compacts every dozen or so appends, so a short run crosses several snapshots.
constexpr uint64_t kCompactSlack = 256;
// Grown this far ahead of the appends: small, so that runs grow the file often and recover from
// zeros after the last record.
constexpr uint64_t kPreallocate = 64;

core::AcceptorState accepted(wire::Ballot ballot, std::string value) {
  return {.promised = ballot, .acceptedBallot = ballot, .acceptedValue = std::move(value)};
}

// A multi-mode acceptor's saves: a PREPARE_ALL, ACCEPTs of values of many lengths, trims behind
// the learners, a new leader's PREPARE_ALL and a classic PREPARE (a promise only).
std::vector<core::Outbox> firstRun() {
  std::vector<core::Outbox> steps;
  core::Outbox prepareAll;
  prepareAll.persistPromisedAll = wire::Ballot{1, 0};
  steps.push_back(prepareAll);
  for (uint64_t slot = 0; slot < 30; ++slot) {
    wire::Ballot ballot = slot < 15 ? wire::Ballot{1, 0} : wire::Ballot{2, 1};
    if (slot == 15) {
      core::Outbox newLeader;
      newLeader.persistPromisedAll = ballot;
      steps.push_back(newLeader);
    }
    core::Outbox accept;
    accept.persist.push_back(
        {slot, accepted(ballot, std::string(40 + slot * 53 % 200, char('a' + slot % 26)))});
    if (slot % 6 == 5) accept.persistTrim = slot - 2;
    steps.push_back(accept);
    if (slot == 20) {
      core::Outbox prepare;  // a classic PREPARE for a slot ahead
      prepare.persist.push_back(
          {40, {.promised = {3, 2}, .acceptedBallot = {}, .acceptedValue = ""}});
      steps.push_back(prepare);
    }
  }
  return steps;
}

// After a restart: short records, shorter than half of most of the first run's, so that they
// land inside the remains of a torn append.
std::vector<core::Outbox> secondRun() {
  core::Outbox promise;
  promise.persist.push_back({31, {.promised = {5, 2}, .acceptedBallot = {}, .acceptedValue = ""}});
  core::Outbox accept;
  accept.persist.push_back({31, accepted({5, 2}, "x")});
  core::Outbox trim;
  trim.persistTrim = 31;
  return {promise, accept, trim};
}

bool same(const DurableState& a, const DurableState& b) {
  return a.acceptor == b.acceptor && a.proposerRound == b.proposerRound &&
         a.promisedAll == b.promisedAll && a.trimmedBelow == b.trimmedBelow;
}

// Whether `got` holds every promise and acceptance of `acknowledged` with a ballot at least as
// high (an instance may be gone only below a later trim).
bool covers(const DurableState& got, const DurableState& acknowledged) {
  if (got.proposerRound < acknowledged.proposerRound ||
      got.promisedAll < acknowledged.promisedAll || got.trimmedBelow < acknowledged.trimmedBelow)
    return false;
  for (const auto& [instance, want] : acknowledged.acceptor) {
    if (got.trimmedBelow > acknowledged.trimmedBelow && instance < got.trimmedBelow) continue;
    auto found = got.acceptor.find(instance);
    if (found == got.acceptor.end()) return false;
    const core::AcceptorState& have = found->second;
    if (have.promised < want.promised || have.acceptedBallot < want.acceptedBallot) return false;
    if (have.acceptedBallot == want.acceptedBallot && have.acceptedValue != want.acceptedValue)
      return false;
  }
  return true;
}

// What the cuts found: how many were tried and failed, and for each kind of failure how often
// and its first case.
struct Findings {
  int cuts = 0;
  int failures = 0;
  std::map<std::string, std::pair<int, std::string>> kinds;
  void fail(const std::string& kind, const std::string& example) {
    ++failures;
    auto& [count, first] = kinds[kind];
    if (count++ == 0) first = example;
  }
};

// A store restarted on `disk` after a cut during a save: it must start and hold `before` (the
// acknowledged state) or `after` (with the save in flight). Returns what it recovered, if it did.
std::optional<DurableState> restart(CrashFileSystem& disk, const DurableState& before,
                                    const DurableState& after, const std::string& where,
                                    Findings& findings) {
  ++findings.cuts;
  try {
    NodeStore store(kDir, kUid, kHostsHash, true, disk, kCompactSlack, kPreallocate);
    if (!covers(store.durable(), before)) {
      findings.fail("forgot an acknowledged promise or acceptance", where);
    } else if (!same(store.durable(), before) && !same(store.durable(), after)) {
      findings.fail("recovered part of a step", where);
    }
    return store.durable();
  } catch (const StorageError& e) {
    findings.fail("does not start", where + ": " + e.what());
  }
  return std::nullopt;
}

// Where a cut can fall: before change `change` of the run (or after its last), with `before` the
// state acknowledged so far and `after` that plus the save in flight.
using AtCut =
    std::function<void(int change, const DurableState& before, const DurableState& after)>;

// Runs `steps` on a store over `files`, which holds `initial`, calling `atCut` before every change
// the store makes to the disk and once after the last save returned.
void run(CrashFileSystem& files, const std::vector<core::Outbox>& steps,
         const DurableState& initial, const AtCut& atCut) {
  DurableState before = initial;
  DurableState after = initial;
  files.beforeChange = [&](int change) { atCut(change, before, after); };
  {
    NodeStore store(kDir, kUid, kHostsHash, true, files, kCompactSlack, kPreallocate);
    for (const core::Outbox& step : steps) {
      core::applyDurable(step, after);
      store.save(step);
      before = after;  // returned: the acceptor may reply now
    }
  }
  files.beforeChange = nullptr;
  atCut(files.changes(), before, after);
}

std::string report(const Findings& findings) {
  std::string text = fmt::format("{} of {} cuts failed", findings.failures, findings.cuts);
  for (const auto& [kind, seen] : findings.kinds)
    text += fmt::format("\n  {} x {}, first: {}", seen.first, kind, seen.second);
  return text;
}

}  // namespace

TEST_CASE(
    "store: a power cut at any change to the disk loses no acknowledged promise or acceptance, "
    "and the store starts") {
  CrashFileSystem files;
  Findings findings;
  run(files, firstRun(), {},
      [&](int change, const DurableState& before, const DurableState& after) {
        for (CrashFileSystem::Cut cut : CrashFileSystem::kCuts) {
          CrashFileSystem disk = files.afterPowerCut(cut);
          restart(disk, before, after,
                  fmt::format("cut at change {}, {}", change, CrashFileSystem::describe(cut)),
                  findings);
        }
      });
  REQUIRE(files.renames() >= 3);  // the first save and at least two compactions
  CHECK_MESSAGE(findings.failures == 0, report(findings));
}

TEST_CASE(
    "store: after a power cut, a restart and more saves, a second cut loses no acknowledged "
    "promise or acceptance, and the store starts") {
  CrashFileSystem files;
  Findings findings;
  int truncations = 0;
  run(files, firstRun(), {},
      [&](int change, const DurableState& before, const DurableState& after) {
        for (CrashFileSystem::Cut cut : CrashFileSystem::kCuts) {
          CrashFileSystem disk = files.afterPowerCut(cut);
          std::string first =
              fmt::format("cut at change {}, {}", change, CrashFileSystem::describe(cut));
          auto recovered = restart(disk, before, after, first, findings);
          if (!recovered) continue;
          run(disk, secondRun(), *recovered,
              [&](int change2, const DurableState& before2, const DurableState& after2) {
                for (CrashFileSystem::Cut cut2 : CrashFileSystem::kCuts) {
                  CrashFileSystem disk2 = disk.afterPowerCut(cut2);
                  restart(disk2, before2, after2,
                          fmt::format("{}; restart, then cut at change {}, {}", first, change2,
                                      CrashFileSystem::describe(cut2)),
                          findings);
                }
              });
          truncations += disk.truncations();
        }
      });
  REQUIRE(truncations > 0);  // some first cuts left a torn append for the restart to cut away
  CHECK_MESSAGE(findings.failures == 0, report(findings));
}

}  // namespace paxos::test

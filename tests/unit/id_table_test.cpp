#include "core/id_table.hpp"

#include <doctest/doctest.h>

#include <random>
#include <set>

#include "core/request_log.hpp"

namespace paxos {

TEST_CASE("IdTable: ids in any order stay sorted, once each, whatever the order of erases") {
  core::IdTable<int> t;
  CHECK(t.insert(5, 50));
  CHECK(t.insert(9, 90));
  CHECK(t.insert(7, 70));        // out of order: in the middle
  CHECK_FALSE(t.insert(7, 71));  // once
  CHECK(t.insert(1, 10));
  REQUIRE(t.find(7));
  CHECK(*t.find(7) == 70);
  CHECK_FALSE(t.find(6));
  CHECK(t.front().first == 1);
  CHECK(t.erase(7));  // from the middle
  CHECK_FALSE(t.erase(7));
  CHECK(t.erase(1));  // from the front
  std::vector<uint64_t> ids;
  for (const auto& [id, value] : t) ids.push_back(id);
  CHECK(ids == std::vector<uint64_t>{5, 9});
}

TEST_CASE("IdTable: agrees with std::set over random inserts and erases") {
  std::mt19937_64 rng(3);
  core::IdTable<bool> t;
  std::set<uint64_t> model;
  for (int i = 0; i < 20000; ++i) {
    uint64_t id = rng() % 64 + uint64_t(i / 100);  // mostly rising, often repeated
    if (rng() % 3 == 0) {
      CHECK(t.erase(id) == (model.erase(id) == 1));
    } else {
      CHECK(t.insert(id, true) == model.insert(id).second);
    }
    CHECK(t.size() == model.size());
    CHECK(t.contains(id) == model.contains(id));
  }
  CHECK(std::equal(t.begin(), t.end(), model.begin(), model.end(),
                   [](const auto& item, uint64_t id) { return item.first == id; }));
}

TEST_CASE("RequestLog: remembers the newest ids per client, the older ones as a bound") {
  core::RequestLog log;
  for (uint64_t id = core::RequestLog::kRemembered + 10; id >= 1; --id) log.add(7, id, id * 2);
  CHECK(log.contains(7, 1));  // forgotten, but at or below the bound: in the log
  CHECK_FALSE(log.slotOf(7, 1));
  CHECK(log.slotOf(7, core::RequestLog::kRemembered + 10) ==
        2 * (core::RequestLog::kRemembered + 10));
  CHECK_FALSE(log.contains(7, core::RequestLog::kRemembered + 11));
  CHECK_FALSE(log.contains(8, 1));
}

}  // namespace paxos

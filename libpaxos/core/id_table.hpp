// One client's request ids, each with a value, in order: a sorted deque. Ids arrive mostly in
// order and leave mostly from the front, so the usual insert and erase are O(1) and allocate
// nothing per id, where a std::map took a node each (the leader's and the learner's largest
// cost per value at load, docs/BENCHMARKS.md). Out-of-order ids (resends, several proposers)
// still work, in O(n) for the rare case.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <utility>

namespace paxos::core {

template <class T>
class IdTable {
 public:
  using Item = std::pair<uint64_t, T>;

  const T* find(uint64_t id) const {
    // A new request's id is past the newest: the usual look-up needs no search.
    if (items_.empty() || id > items_.back().first || id < items_.front().first) return nullptr;
    auto it = lowerBound(id);
    return it != items_.end() && it->first == id ? &it->second : nullptr;
  }
  bool contains(uint64_t id) const { return find(id) != nullptr; }
  // False (and no change) if `id` is in already.
  bool insert(uint64_t id, T value) {
    if (items_.empty() || items_.back().first < id) {
      items_.emplace_back(id, std::move(value));
      return true;
    }
    auto it = lowerBound(id);
    if (it != items_.end() && it->first == id) return false;
    items_.emplace(it, id, std::move(value));
    return true;
  }
  bool erase(uint64_t id) {
    if (!items_.empty() && items_.front().first == id) {
      items_.pop_front();
      return true;
    }
    auto it = lowerBound(id);
    if (it == items_.end() || it->first != id) return false;
    items_.erase(it);
    return true;
  }
  const Item& front() const { return items_.front(); }
  void popFront() { items_.pop_front(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  typename std::deque<Item>::const_iterator lowerBound(uint64_t id) const {
    return std::lower_bound(items_.begin(), items_.end(), id,
                            [](const Item& item, uint64_t key) { return item.first < key; });
  }
  std::deque<Item> items_;
};

// A set of (client, request id) pairs: an IdTable per client.
class RequestSet {
 public:
  using Key = std::pair<uint32_t, uint64_t>;
  bool contains(const Key& key) const {
    auto it = clients_.find(key.first);
    return it != clients_.end() && it->second.contains(key.second);
  }
  bool insert(const Key& key) { return clients_[key.first].insert(key.second, true); }
  void erase(const Key& key) {
    if (auto it = clients_.find(key.first); it != clients_.end()) it->second.erase(key.second);
  }
  void clear() { clients_.clear(); }

 private:
  std::map<uint32_t, IdTable<bool>> clients_;
};

}  // namespace paxos::core

#ifndef TRAINING_COMMON_SQL_STATEMENT_CACHE_H_
#define TRAINING_COMMON_SQL_STATEMENT_CACHE_H_

// One connection's prepared statements, by SQL text, so that a statement run
// again is not parsed and planned again (a flash crowd's batch runs the same
// handful of statements every few milliseconds; parsing them took a sixth
// of the committing thread's time on SQLite). Past `capacity` statements
// the least recently used one is let go through `release`.
//
// Not thread-safe: it belongs to a connection, which one thread uses at a
// time.

#include <cstddef>
#include <functional>
#include <list>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace training::sql {

template <typename Statement>
class StatementCache {
 public:
  using Release = std::function<void(Statement&)>;

  StatementCache(size_t capacity, Release release)
      : capacity_(capacity), release_(std::move(release)) {}
  ~StatementCache() { Clear(); }
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The statement prepared for `sql`, now the most recently used; nullptr
  // when there is none.
  Statement* Find(absl::string_view sql) {
    auto it = index_.find(sql);
    if (it == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, it->second);
    return &it->second->second;
  }

  // Keeps `statement`, prepared for `sql` (not cached yet), and returns it;
  // releases the least recently used one when over capacity.
  Statement* Insert(std::string sql, Statement statement) {
    entries_.emplace_front(std::move(sql), std::move(statement));
    // The key views the list's copy of the text, which never moves.
    index_.emplace(entries_.front().first, entries_.begin());
    while (entries_.size() > capacity_) {
      auto last = std::prev(entries_.end());
      index_.erase(last->first);
      release_(last->second);
      entries_.erase(last);
    }
    return &entries_.front().second;
  }

  // Releases every statement.
  void Clear() {
    index_.clear();
    for (auto& [sql, statement] : entries_) release_(statement);
    entries_.clear();
  }

  size_t size() const { return entries_.size(); }

 private:
  using Entries = std::list<std::pair<std::string, Statement>>;

  const size_t capacity_;
  const Release release_;
  Entries entries_;  // most recently used first
  absl::flat_hash_map<absl::string_view, typename Entries::iterator> index_;
};

}  // namespace training::sql

#endif  // TRAINING_COMMON_SQL_STATEMENT_CACHE_H_

#ifndef TRAINING_SERVICES_CONTENT_ARTICLE_CACHE_H_
#define TRAINING_SERVICES_CONTENT_ARTICLE_CACHE_H_

// Articles as last read or written by this process, so that a read — and
// above all an etag-matched revalidation, the call a busy site makes most —
// need not reach the database.
//
// Freshness: a change made here drops the entry when it commits, and a
// read that began before it never puts its older copy back (the epoch
// check). A change made by another replica (PostgreSQL) is found by
// ArticleChangeWatcher, which asks the database every `--article_change_poll`
// which articles changed lately and drops every entry whose etag differs:
// another replica's change is served here at most about one poll interval
// late. When the watcher cannot ask (the database is down), entries stop
// being served `stale_after` past its last good poll. Entries also expire
// after `ttl`, and the least recently used go first past `max_entries`.
// Thread-safe; look-ups share the lock, so readers never wait on each
// other.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "services/content/store.h"
#include "training/content/v1/resources.pb.h"

namespace training::content {

class ArticleCache {
 public:
  struct Options {
    // How long an entry is served at most; zero keeps nothing.
    absl::Duration ttl = absl::Minutes(10);
    size_t max_entries = 10000;
    // How long after the last check against the database (Reconcile)
    // entries may still be served; infinite when no check is needed (one
    // process owns the database).
    absl::Duration stale_after = absl::InfiniteDuration();
  };

  // `clock` is not owned and must outlive this.
  ArticleCache(const Clock* clock, Options options);

  // The article (with its bodies) when held and fresh; null otherwise.
  std::shared_ptr<const v1::Article> Find(const std::string& name)
      ABSL_LOCKS_EXCLUDED(mu_);

  // What a reader notes before it reads the database, for Put.
  int64_t Epoch() const ABSL_LOCKS_EXCLUDED(mu_);

  // Keeps what a reader read, unless a change was recorded since `epoch`
  // (the copy may be older than the change).
  void Put(std::shared_ptr<const v1::Article> article, int64_t epoch)
      ABSL_LOCKS_EXCLUDED(mu_);

  // A change to `name` committed here: any copy goes, and no read that
  // began before it may put an older one back. (The next read takes the
  // article from the database: two changes' callers may report in either
  // order, so neither's copy is the one to keep.)
  void Changed(const std::string& name) ABSL_LOCKS_EXCLUDED(mu_);

  // The database's etags of lately changed articles, as read from a
  // transaction that began at `checked`: every entry whose etag differs is
  // dropped (and reads that began earlier may not put theirs back), and
  // entries may be served until `checked` + stale_after.
  void Reconcile(const std::vector<ArticleVersion>& current, absl::Time checked)
      ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    std::shared_ptr<const v1::Article> article;
    absl::Time expire;
    // When last found, in Unix microseconds: set under the shared lock.
    std::unique_ptr<std::atomic<int64_t>> used;
  };

  void Insert(std::shared_ptr<const v1::Article> article)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictLeastRecentlyUsed() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Keeps() const {
    return options_.ttl > absl::ZeroDuration() && options_.max_entries > 0;
  }

  const Clock* clock_;
  const Options options_;
  mutable absl::Mutex mu_;
  int64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time verified_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

// Keeps an ArticleCache in step with changes other processes make: every
// `interval` it asks the store for the articles changed in the last
// `lookback` (longer than any write transaction may take between stamping
// its change and committing) and reconciles the cache with them.
class ArticleChangeWatcher {
 public:
  // Nothing is owned; all must outlive this.
  ArticleChangeWatcher(ContentStore* store, ArticleCache* cache,
                       const Clock* clock, absl::Duration interval,
                       absl::Duration lookback = absl::Minutes(2));
  // Stops the thread.
  ~ArticleChangeWatcher();

  void Start();
  // One check, as the thread makes it (tests call it directly).
  absl::Status CheckOnce();

 private:
  ContentStore* store_;
  ArticleCache* cache_;
  const Clock* clock_;
  const absl::Duration interval_;
  const absl::Duration lookback_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_ARTICLE_CACHE_H_

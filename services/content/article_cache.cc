#include "services/content/article_cache.h"

#include <algorithm>
#include <utility>

#include "common/logging/log.h"
#include "common/metrics/metrics.h"

namespace training::content {
namespace {

void CountLookup(bool hit) {
  static auto& family = metrics::DefaultRegistry().Counter(
      "training_content_article_cache_total",
      "Article look-ups by whether this process's cache held a fresh copy.",
      {"outcome"});
  static prometheus::Counter& hits = family.Child({"hit"});
  static prometheus::Counter& misses = family.Child({"miss"});
  (hit ? hits : misses).Increment();
}

}  // namespace

ArticleCache::ArticleCache(const Clock* clock, Options options)
    : clock_(clock), options_(options), verified_(clock->Now()) {}

std::shared_ptr<const v1::Article> ArticleCache::Find(const std::string& name) {
  const absl::Time now = clock_->Now();
  absl::ReaderMutexLock lock(&mu_);
  const auto& entries = entries_;  // read only: the lock is shared
  auto it = entries.find(name);
  if (it == entries.end() || it->second.expire <= now ||
      now - verified_ > options_.stale_after) {
    CountLookup(false);
    return nullptr;
  }
  it->second.used->store(absl::ToUnixMicros(now), std::memory_order_relaxed);
  CountLookup(true);
  return it->second.article;
}

int64_t ArticleCache::Epoch() const {
  absl::ReaderMutexLock lock(&mu_);
  return epoch_;
}

void ArticleCache::Put(std::shared_ptr<const v1::Article> article,
                       int64_t epoch) {
  if (!Keeps()) return;
  absl::MutexLock lock(&mu_);
  if (epoch != epoch_) return;
  Insert(std::move(article));
}

void ArticleCache::Changed(const std::string& name) {
  absl::MutexLock lock(&mu_);
  ++epoch_;
  entries_.erase(name);
}

void ArticleCache::Reconcile(const std::vector<ArticleVersion>& current,
                             absl::Time checked) {
  absl::MutexLock lock(&mu_);
  bool dropped = false;
  for (const ArticleVersion& version : current) {
    auto it = entries_.find(version.name);
    if (it == entries_.end() || it->second.article->etag() == version.etag) {
      continue;
    }
    entries_.erase(it);
    dropped = true;
  }
  // A read that began before this check may hold what was just dropped.
  if (dropped) ++epoch_;
  if (checked > verified_) verified_ = checked;
}

size_t ArticleCache::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return entries_.size();
}

void ArticleCache::Insert(std::shared_ptr<const v1::Article> article) {
  const std::string name = article->name();
  const absl::Time now = clock_->Now();
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_entries) EvictLeastRecentlyUsed();
    it = entries_
             .emplace(name,
                      Entry{.article = nullptr,
                            .expire = now,
                            .used = std::make_unique<std::atomic<int64_t>>(0)})
             .first;
  }
  it->second.article = std::move(article);
  it->second.expire = now + options_.ttl;
  it->second.used->store(absl::ToUnixMicros(now), std::memory_order_relaxed);
}

void ArticleCache::EvictLeastRecentlyUsed() {
  // A scan, but only when full: a tenth goes at once, so that the next
  // inserts find room.
  std::vector<std::pair<int64_t, std::string>> by_use;
  by_use.reserve(entries_.size());
  for (const auto& [name, entry] : entries_) {
    by_use.emplace_back(entry.used->load(std::memory_order_relaxed), name);
  }
  const size_t evict = std::max<size_t>(1, by_use.size() / 10);
  std::nth_element(by_use.begin(), by_use.begin() + (evict - 1), by_use.end());
  for (size_t i = 0; i < evict; ++i) entries_.erase(by_use[i].second);
}

ArticleChangeWatcher::ArticleChangeWatcher(ContentStore* store,
                                           ArticleCache* cache,
                                           const Clock* clock,
                                           absl::Duration interval,
                                           absl::Duration lookback)
    : store_(store),
      cache_(cache),
      clock_(clock),
      interval_(interval),
      lookback_(lookback) {}

ArticleChangeWatcher::~ArticleChangeWatcher() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void ArticleChangeWatcher::Start() {
  thread_ = std::thread([this] {
    bool failing = false;
    while (!stop_.WaitForNotificationWithTimeout(interval_)) {
      absl::Status checked = CheckOnce();
      if (!checked.ok() && !failing) {
        log::Warning("content.cache_check_failed", {{"code", checked.code()}});
      }
      failing = !checked.ok();
    }
  });
}

absl::Status ArticleChangeWatcher::CheckOnce() {
  // Noted before the transaction begins: whatever committed before this
  // instant is in what it reads.
  const absl::Time checked = clock_->Now();
  std::vector<ArticleVersion> changed;
  absl::Status status = store_->Run(
      ContentStore::Mode::kRead, [&](ContentTransaction& tx) -> absl::Status {
        absl::StatusOr<std::vector<ArticleVersion>> found =
            tx.ChangedSince(checked - lookback_);
        if (!found.ok()) return found.status();
        changed = *std::move(found);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  cache_->Reconcile(changed, checked);
  return absl::OkStatus();
}

}  // namespace training::content

// Content benchmark: reads and search through gRPC against a real content
// process, beside the same search run directly on the engine and the
// health Check, on SQLite and on PostgreSQL:
//
//   content_bench [--engines=sqlite,postgres] [--articles=5000]
//                 [--clients=8] [--seconds=10] [--repetitions=5]
//
// A generated corpus of --articles published articles (titles, summaries
// and Markdown bodies of some 400 words from a fixed vocabulary, seeded)
// is written straight into the content database, then the service starts
// on it. Per repetition, interleaved, each case for --seconds with
// --clients calls in flight, one connection per client:
//   1. health Check (grpc.health.v1): the yardstick;
//   2. GetArticle, full (a random article each call);
//   3. GetArticle with if_none_match = the current etag (the gateway's
//      If-None-Match revalidation: only name and etag come back);
//   4. SearchArticles (a random query of 1 or 2 words from a fixed set,
//      the last word sometimes a prefix; a page of 10);
//   5. the same search statement the service runs, run directly on the
//      same database through common/sql by --clients threads, each on its
//      own connection: the engine's raw rate.
// Printed: calls/s and p99 ms, median [min, max] over the repetitions,
// and the ratios the goals are about (search ≥ 0.6 of raw; etag-matched
// read ≥ 0.8 of the health Check). PostgreSQL comes from
// TRAINING_BENCH_POSTGRES_URL or TRAINING_TEST_POSTGRES_URL.

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "bench/peak_memory.h"
#include "common/auth/api_keys.h"
#include "common/config/flags.h"
#include "common/redis/testing_redis_server.h"
#include "common/sql/testing/test_databases.h"
#include "common/testing/process.h"
#include "common/time/proto_time.h"
#include "grpcpp/grpcpp.h"
#include "health/v1/health.grpc.pb.h"
#include "services/content/article_rules.h"
#include "services/content/markdown.h"
#include "services/content/search_query.h"
#include "services/content/store_search.h"
#include "services/content/store_sql.h"
#include "training/content/v1/content_service.grpc.pb.h"

ABSL_FLAG(std::vector<std::string>, engines,
          std::vector<std::string>({"sqlite", "postgres"}),
          "Engines to measure, in order.");
ABSL_FLAG(int, articles, 5000, "Articles in the generated corpus.");
ABSL_FLAG(int, clients, 8, "Calls in flight, one connection each.");
ABSL_FLAG(double, seconds, 10, "Length of each measured case.");
ABSL_FLAG(int, repetitions, 5, "Interleaved repetitions of every case.");

namespace training::bench {
namespace {

namespace v1 = training::content::v1;
using content::SearchQuery;

constexpr char kAdminKey[] = "trk_bench_admin_content_00000000001";

// The corpus's words: the programme's own vocabulary and everyday words,
// so that stemming and stop words behave as on real text.
const std::vector<std::string>& Vocabulary() {
  static const auto* const kWords = new std::vector<std::string>(absl::StrSplit(
      "motivational interviewing empathy resistance discrepancy efficacy "
      "family families safeguarding parent parents child children social "
      "care worker workers practice practitioner practitioners change "
      "changes changing ambivalence reflection reflections reflective "
      "listening question questions open affirmation affirmations summary "
      "summaries partnership partner agency agencies health visitor nurse "
      "school schools police probation housing voluntary sector council "
      "training workshop session sessions course courses booking waiting "
      "list place places cancel colleague reminder principle principles "
      "strengths strength confidence goal goals values behaviour drinking "
      "alcohol substance misuse domestic abuse mental wellbeing safety "
      "home support supported supporting trust honest respectful engaging "
      "conversation conversations talk talking listen heard understood "
      "plan plans own ownership together work working team teams manager "
      "managers supervision development group groups webinar evidence "
      "trial trials research psychologist history method skills skill "
      "coaching midwifery dentistry diabetes smoking weight sports "
      "county local authority duty needs risk harm within home stay "
      "safely best person raise being believe possible motivation motivate "
      "autonomy choice choose decide decision explore concerns point view "
      "escalate de-escalate confront argument argue defend worry worried "
      "hope hopeful future past present week month year day morning evening "
      "school-age teenager baby infant toddler grandparent carer carers "
      "foster kinship early help intervention service services public "
      "nursing children's record records register attended attendance "
      "feedback form reading guide guides article articles notes note "
      "example examples case cases study studies story stories voice voices "
      "experience experiences words own reasons reason sustain talk mobilise "
      "commitment activation taking steps readiness importance ruler scale "
      "rolling with gently spirit compassion acceptance evocation "
      "collaboration guiding directing following style styles",
      ' ', absl::SkipEmpty()));
  return *kWords;
}

std::string Words(std::mt19937& random, int count) {
  const auto& vocabulary = Vocabulary();
  // Skewed choice: low indices far more often, as in real text.
  std::uniform_real_distribution<double> unit(0, 1);
  std::string out;
  for (int i = 0; i < count; ++i) {
    const double u = unit(random);
    const size_t index = static_cast<size_t>(u * u * vocabulary.size());
    absl::StrAppend(&out, i == 0 ? "" : " ", vocabulary[index]);
  }
  return out;
}

std::string Capitalised(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(text[0]));
  return text;
}

// Writes `count` published articles straight into the store, 250 to a
// transaction, as the service would have written them.
bool LoadCorpus(sql::Database& db, int count) {
  auto store = content::SqlContentStore::Open(&db);
  if (!store.ok()) {
    std::fprintf(stderr, "content store: %s\n",
                 store.status().ToString().c_str());
    return false;
  }
  std::mt19937 random(20261207);
  const absl::Time now = absl::Now();
  for (int first = 0; first < count; first += 250) {
    absl::Status status = (*store)->Run(
        content::ContentStore::Mode::kWrite,
        [&](content::ContentTransaction& tx) -> absl::Status {
          for (int i = first; i < std::min(count, first + 250); ++i) {
            v1::Article a;
            a.set_name(absl::StrCat("articles/bench-", i));
            a.set_title(Capitalised(Words(random, 4 + i % 5)));
            a.set_summary(Capitalised(Words(random, 20)) + ".");
            std::string body;
            for (int p = 0; p < 5; ++p) {
              absl::StrAppend(&body, "## ", Capitalised(Words(random, 3)),
                              "\n\n", Capitalised(Words(random, 80)), ".\n\n");
            }
            a.set_body_markdown(body);
            a.add_tags(i % 2 ? "guide" : "practice");
            a.set_kind(i % 7 == 0 ? v1::Article::PRINCIPLE : v1::Article::PAGE);
            a.set_audience(v1::Article::PUBLIC);
            a.set_state(v1::Article::PUBLISHED);
            a.set_revision_id("1");
            *a.mutable_create_time() = ToProto(now);
            *a.mutable_update_time() = ToProto(now);
            *a.mutable_publish_time() = ToProto(now);
            content::RenderedMarkdown rendered =
                content::RenderMarkdown(a.body_markdown());
            a.set_body_html(rendered.html);
            a.set_etag(content::ArticleEtag(a));
            content::ArticleText text;
            text.revision.set_name(a.name() + "/revisions/1");
            text.revision.set_title(a.title());
            text.revision.set_summary(a.summary());
            text.revision.set_body_markdown(a.body_markdown());
            text.revision.set_author("bench");
            text.body_html = rendered.html;
            text.plain_text = rendered.plain_text;
            absl::Status inserted = tx.InsertArticle(a, text);
            if (!inserted.ok()) return inserted;
          }
          return absl::OkStatus();
        });
    if (!status.ok()) {
      std::fprintf(stderr, "corpus: %s\n", status.ToString().c_str());
      return false;
    }
  }
  return true;
}

// 200 queries of one or two words; a third end in a prefix.
std::vector<std::string> Queries() {
  std::mt19937 random(7);
  std::vector<std::string> queries;
  for (int i = 0; i < 200; ++i) {
    std::string q = Words(random, 1 + i % 2);
    if (i % 3 == 0 && q.size() > 6) q.resize(q.size() - 2);
    queries.push_back(q);
  }
  return queries;
}

struct Sample {
  double per_second = 0;
  double p99_ms = 0;
  int64_t failed = 0;
  int64_t calls = 0;
  CpuByProcess cpu;  // over the case
};

// Keeps `in_flight` calls going for `length`. `start(i, done)` issues call
// i and calls done(ok) when it ends, from any thread.
Sample ClosedLoopWithLatency(
    int in_flight, absl::Duration length,
    const std::function<void(int, std::function<void(bool)>)>& start) {
  absl::Mutex mu;
  std::vector<double> latencies_ms;
  std::atomic<int64_t> completed{0}, failed{0}, active{0};
  std::atomic<int> next{0};
  std::atomic<bool> stop{false};
  const CpuSample cpu_before = CpuNow();
  const absl::Time begin = absl::Now();
  std::function<void()> issue = [&] {
    if (stop.load()) return;
    active.fetch_add(1);
    const absl::Time sent = absl::Now();
    start(next.fetch_add(1), [&, sent](bool ok) {
      const absl::Time now = absl::Now();
      if (now - begin <= length) {
        completed.fetch_add(1);
        if (!ok) failed.fetch_add(1);
        absl::MutexLock lock(&mu);
        latencies_ms.push_back(absl::ToDoubleMilliseconds(now - sent));
      } else {
        stop.store(true);
      }
      issue();
      active.fetch_sub(1);
    });
  };
  for (int i = 0; i < in_flight; ++i) issue();
  absl::SleepFor(length);
  stop.store(true);
  while (active.load() > 0) absl::SleepFor(absl::Milliseconds(5));
  Sample sample;
  sample.per_second =
      completed.load() / absl::ToDoubleSeconds(absl::Now() - begin);
  sample.failed = failed.load();
  sample.calls = completed.load();
  sample.cpu = CpuUsed(cpu_before, CpuNow());
  absl::MutexLock lock(&mu);
  sample.p99_ms = Quantile(latencies_ms, 0.99);
  return sample;
}

std::unique_ptr<grpc::ClientContext> Deadline() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  return context;
}

class ContentBench {
 public:
  explicit ContentBench(std::string engine) : engine_(std::move(engine)) {}

  ~ContentBench() {
    if (server_) {
      server_->Signal(SIGTERM);
      server_->Wait(absl::Seconds(30));
    }
  }

  bool Start() {
    dir_ = testing::MakeTempDir("content-bench");
    std::string url;
    if (engine_ == "sqlite") {
      url = absl::StrCat("sqlite://", dir_, "/content.db");
    } else {
      auto made = sql::testing::NewTestDatabaseUrl(sql::Engine::kPostgres);
      if (!made.ok()) {
        std::fprintf(stderr, "%s\n", made.status().ToString().c_str());
        return false;
      }
      url = *made;
    }
    {
      auto db = sql::Database::Open(url);
      if (!db.ok() || !LoadCorpus(**db, absl::GetFlag(FLAGS_articles))) {
        return false;
      }
    }
    const int clients = absl::GetFlag(FLAGS_clients);
    const char* sep = absl::StrContains(url, "?") ? "&" : "?";
    auto raw = sql::Database::Open(absl::StrCat(
        url, sep, engine_ == "sqlite" ? "readers=" : "pool_size=", clients));
    if (!raw.ok()) return false;
    raw_ = *std::move(raw);
    if (!redis_.Start()) return false;
    std::ofstream(dir_ + "/keys.json")
        << R"({"keys":[{"name":"admin","role":"ADMIN","sha256":")"
        << auth::Sha256Hex(kAdminKey)
        << R"(","organisation":"Bench","scopes":[],"service":""}]})";
    server_ = std::make_unique<testing::ChildProcess>(
        CONTENT_BINARY,
        std::vector<std::string>{
            "--port=0", "--metrics_port=0", "--port_file=" + dir_ + "/port",
            "--data_dir=" + dir_, "--database_url=" + url,
            "--api_keys_file=" + dir_ + "/keys.json",
            "--redis_url=" + redis_.url(), "--log_level=warning"},
        std::map<std::string, std::string>{}, dir_ + "/log");
    const int port =
        testing::WaitForPortFile(dir_ + "/port", absl::Seconds(60)).value_or(0);
    if (port == 0) {
      std::fprintf(stderr, "content did not start:\n%s\n",
                   server_->Log().c_str());
      return false;
    }
    for (int i = 0; i < clients; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("bench.client", i);  // one connection per client
      auto channel =
          grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                    grpc::InsecureChannelCredentials(), args);
      content_.push_back(v1::ContentService::NewStub(channel));
      health_.push_back(grpc::health::v1::Health::NewStub(channel));
    }
    queries_ = Queries();
    return ReadEtags();
  }

  Sample Health(absl::Duration length) {
    return Loop(length, [&](int i, std::function<void(bool)> done) {
      struct Call {
        grpc::health::v1::HealthCheckRequest request;
        grpc::health::v1::HealthCheckResponse reply;
        std::unique_ptr<grpc::ClientContext> context = Deadline();
      };
      auto call = std::make_shared<Call>();
      health_[i % health_.size()]->async()->Check(
          call->context.get(), &call->request, &call->reply,
          [call, done](grpc::Status s) { done(s.ok()); });
    });
  }

  Sample Read(absl::Duration length, bool revalidate) {
    return Loop(length, [&, revalidate](int i, std::function<void(bool)> done) {
      struct Call {
        v1::GetArticleRequest request;
        v1::Article reply;
        std::unique_ptr<grpc::ClientContext> context = Deadline();
      };
      auto call = std::make_shared<Call>();
      const size_t n = (static_cast<size_t>(i) * 7919) % etags_.size();
      call->request.set_name(absl::StrCat("articles/bench-", n));
      if (revalidate) call->request.set_if_none_match(etags_[n]);
      content_[i % content_.size()]->async()->GetArticle(
          call->context.get(), &call->request, &call->reply,
          [call, done, revalidate](grpc::Status s) {
            done(s.ok() && (revalidate ? call->reply.body_html().empty()
                                       : !call->reply.body_html().empty()));
          });
    });
  }

  Sample Search(absl::Duration length) {
    return Loop(length, [&](int i, std::function<void(bool)> done) {
      struct Call {
        v1::SearchArticlesRequest request;
        v1::SearchArticlesResponse reply;
        std::unique_ptr<grpc::ClientContext> context = Deadline();
      };
      auto call = std::make_shared<Call>();
      call->request.set_query(queries_[i % queries_.size()]);
      content_[i % content_.size()]->async()->SearchArticles(
          call->context.get(), &call->request, &call->reply,
          [call, done](grpc::Status s) { done(s.ok()); });
    });
  }

  // The service's own search statement, straight on the engine.
  Sample RawSearch(absl::Duration length) {
    const int clients = absl::GetFlag(FLAGS_clients);
    std::vector<std::vector<double>> latencies(clients);
    std::atomic<int64_t> done{0}, failed{0};
    std::atomic<int> next{0};
    const CpuSample cpu_before = CpuNow();
    const absl::Time begin = absl::Now();
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
      threads.emplace_back([&, t] {
        while (absl::Now() - begin < length) {
          const int i = next.fetch_add(1);
          auto words = content::ParseSearchQuery(queries_[i % queries_.size()]);
          const absl::Time sent = absl::Now();
          bool ok = words.ok();
          if (ok && !words->empty()) {
            SearchQuery query;
            query.words = *words;
            query.limit = 11;
            const sql::Statement statement =
                content::SearchStatement(raw_->engine(), query);
            auto tx = raw_->Begin(sql::TxMode::kRead);
            ok = tx.ok() && (*tx)->Query(statement.sql, statement.params).ok();
            if (ok) ok = (*tx)->Commit().ok();
          }
          if (absl::Now() - begin > length) break;
          done.fetch_add(1);
          if (!ok) failed.fetch_add(1);
          latencies[t].push_back(
              absl::ToDoubleMilliseconds(absl::Now() - sent));
        }
      });
    }
    for (auto& thread : threads) thread.join();
    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    Sample sample;
    sample.per_second = done.load() / absl::ToDoubleSeconds(length);
    sample.failed = failed.load();
    sample.calls = done.load();
    sample.cpu = CpuUsed(cpu_before, CpuNow());
    sample.p99_ms = Quantile(all, 0.99);
    return sample;
  }

 private:
  Sample Loop(
      absl::Duration length,
      const std::function<void(int, std::function<void(bool)>)>& start) {
    return ClosedLoopWithLatency(absl::GetFlag(FLAGS_clients), length, start);
  }

  // Every article's etag, read once through the service.
  bool ReadEtags() {
    etags_.resize(absl::GetFlag(FLAGS_articles));
    for (size_t n = 0; n < etags_.size(); ++n) {
      v1::GetArticleRequest request;
      request.set_name(absl::StrCat("articles/bench-", n));
      v1::Article article;
      grpc::Status s =
          content_[0]->GetArticle(Deadline().get(), request, &article);
      if (!s.ok()) {
        std::fprintf(stderr, "read %s: %s\n", request.name().c_str(),
                     s.error_message().c_str());
        return false;
      }
      etags_[n] = article.etag();
    }
    return true;
  }

  const std::string engine_;
  std::string dir_;
  redis::testing::RedisServer redis_;
  std::unique_ptr<testing::ChildProcess> server_;
  std::unique_ptr<sql::Database> raw_;
  std::vector<std::unique_ptr<v1::ContentService::Stub>> content_;
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> health_;
  std::vector<std::string> etags_;
  std::vector<std::string> queries_;
};

void Print(const char* what, const std::vector<Sample>& samples) {
  std::vector<double> rates, p99s;
  int64_t failed = 0;
  for (const Sample& s : samples) {
    rates.push_back(s.per_second);
    p99s.push_back(s.p99_ms);
    failed += s.failed;
  }
  const Stats r = Summarise(rates), p = Summarise(p99s);
  std::printf("  %-34s %9.0f /s [%.0f, %.0f]   p99 %6.2f ms [%.2f, %.2f]%s\n",
              what, r.median, r.low, r.high, p.median, p.low, p.high,
              failed ? absl::StrCat("  FAILED ", failed).c_str() : "");
  // Median CPU per call of each process that used any, in µs.
  std::map<std::string, std::vector<double>> per_call;
  for (const Sample& s : samples) {
    if (s.calls == 0) continue;
    for (const auto& [name, time] : s.cpu) {
      per_call[name].push_back(absl::ToDoubleMicroseconds(time) / s.calls);
    }
  }
  std::string line;
  for (auto& [name, values] : per_call) {
    const double median = Summarise(values).median;
    if (median >= 0.5)
      absl::StrAppend(&line, " ", name, " ", absl::StrFormat("%.1f", median));
  }
  std::printf("  %-34s CPU µs/call:%s\n", "", line.c_str());
}

double MedianRatio(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  std::vector<double> ratios;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (b[i].per_second > 0)
      ratios.push_back(a[i].per_second / b[i].per_second);
  }
  return Summarise(ratios).median;
}

int Run() {
  const absl::Duration length = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  int status = 0;
  for (const std::string& engine : absl::GetFlag(FLAGS_engines)) {
    ContentBench bench(engine);
    std::printf("%s: %d articles, %d clients, %d x %.0f s per case\n",
                engine.c_str(), absl::GetFlag(FLAGS_articles),
                absl::GetFlag(FLAGS_clients), absl::GetFlag(FLAGS_repetitions),
                absl::GetFlag(FLAGS_seconds));
    std::fflush(stdout);
    if (!bench.Start()) {
      status = 1;
      continue;
    }
    std::vector<Sample> health, full, etag, search, raw;
    for (int r = 0; r < absl::GetFlag(FLAGS_repetitions); ++r) {
      health.push_back(bench.Health(length));
      full.push_back(bench.Read(length, false));
      etag.push_back(bench.Read(length, true));
      search.push_back(bench.Search(length));
      raw.push_back(bench.RawSearch(length));
    }
    Print("health Check", health);
    Print("GetArticle, full", full);
    Print("GetArticle, etag matched", etag);
    Print("SearchArticles (gRPC)", search);
    Print("search statement, direct", raw);
    std::printf("  search gRPC / direct: %.2f (goal >= 0.6)\n",
                MedianRatio(search, raw));
    std::printf("  etag-matched read / health Check: %.2f (goal >= 0.8)\n",
                MedianRatio(etag, health));
    std::printf("  full read / health Check: %.2f\n",
                MedianRatio(full, health));
    std::fflush(stdout);
  }
  return status;
}

}  // namespace
}  // namespace training::bench

int main(int argc, char** argv) {
  training::config::ParseFlagsOrExit(
      argc, argv,
      "content_bench: reads and search through gRPC beside the "
      "engine's own search rate and the health Check.");
  training::bench::PeakMemoryWatch memory;
  return training::bench::Run();
}

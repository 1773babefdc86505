// The access-log writer thread: batches reach the file whole and in order,
// drain() waits for them, and without the thread a batch is written at once.
#include "http/log_writer.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "http/access_log.hpp"

namespace gatehouse::http {
namespace {

class LogWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("gh-logwriter-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    log_ = std::make_shared<AccessLog>(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The file's lines without the W3C header.
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      std::ifstream in(entry.path());
      for (std::string line; std::getline(in, line);)
        if (!line.starts_with("#")) out.push_back(line);
    }
    return out;
  }

  std::filesystem::path dir_;
  std::shared_ptr<AccessLog> log_;
  const std::time_t now_ = 1'790'000'000;  // 2026-09-21
};

TEST_F(LogWriterTest, WritesAtOnceBeforeStart) {
  LogWriter writer;
  writer.submit(log_, "a\n", now_);
  EXPECT_EQ(lines(), std::vector<std::string>{"a"});  // no thread, no drain: already on disk
}

TEST_F(LogWriterTest, KeepsEachThreadsOrderAndLosesNothing) {
  LogWriter writer;
  writer.start();
  constexpr int kThreads = 4, kBatches = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b)
        writer.submit(log_, "t" + std::to_string(t) + " " + std::to_string(b) + "\n", now_);
    });
  for (auto& th : threads) th.join();
  writer.drain();
  auto got = lines();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kThreads * kBatches));
  std::vector<int> next(kThreads, 0);
  for (const auto& line : got) {
    std::istringstream in(line.substr(1));
    int t = -1, b = -1;
    in >> t >> b;
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    EXPECT_EQ(b, next[t]++) << line;  // a thread's batches stay in the order it handed them over
  }
  writer.stop();
  writer.submit(log_, "after\n", now_);  // stopped: at once again
  EXPECT_EQ(lines().back(), "after");
}

// The point of the thread: a log file that blocks (here a FIFO nobody reads
// yet, standing in for a stuck disk) holds up the writer, not the submitter.
TEST_F(LogWriterTest, ABlockedFileDoesNotBlockTheSubmitter) {
  std::filesystem::create_directories(dir_);
  const auto fifo = dir_ / "u_ex260921.log";  // the file of now_
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  LogWriter writer;
  writer.start();
  const auto t0 = std::chrono::steady_clock::now();
  writer.submit(log_, "one\n", now_);  // the thread opens the FIFO and waits for a reader
  writer.submit(log_, "two\n", now_);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  std::ifstream reader(fifo);  // a reader comes: the writer goes on
  writer.drain();
  writer.stop();
  log_->reopen();  // closes the FIFO's write end: the reader sees the end
  std::string text((std::istreambuf_iterator<char>(reader)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("one\ntwo\n"), std::string::npos) << text;
}

TEST_F(LogWriterTest, StopWritesWhatIsQueued) {
  auto writer = std::make_unique<LogWriter>();
  writer->start();
  for (int i = 0; i < 100; ++i) writer->submit(log_, std::string(1000, 'x') + "\n", now_);
  writer.reset();  // the destructor stops: nothing queued is lost
  EXPECT_EQ(lines().size(), 100u);
}

}  // namespace
}  // namespace gatehouse::http

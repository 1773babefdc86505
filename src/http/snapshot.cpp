// View: a snapshot's per-thread state (PHP routing, access-log buffers).
#include "http/snapshot.hpp"

#include <utility>

namespace gatehouse::http {
namespace {
constexpr std::size_t kLogBufferFlush = 64 * 1024;
}  // namespace

View::View(std::shared_ptr<const Snapshot> snapshot, boost::asio::any_io_executor executor)
    : snapshot_(std::move(snapshot)),
      buffers_(snapshot_->logs.size()),
      forwarding_(snapshot_->router.sites(), snapshot_->config->server) {
  if (snapshot_->php) php_ = snapshot_->php(std::move(executor));
}

View::~View() { flush(std::time(nullptr)); }

void View::log(std::size_t slot, const AccessRecord& record) {
  auto& buf = buffers_[slot];
  const auto& log = snapshot_->logs[slot];
  log->count(record.status);  // gatehouse status: requests per site and status class
  snapshot_->metrics[slot]->observe(record.status, record.substatus, record.bytes_received, record.bytes_sent,
                                    record.took);
  append_record(buf, record);
  if (buf.size() >= kLogBufferFlush) write_out(slot, std::time(nullptr));
}

void View::flush(std::time_t now) {
  for (std::size_t i = 0; i < buffers_.size(); ++i)
    if (!buffers_[i].empty()) write_out(i, now);
}

// The buffer goes to the writer (its thread, or at once before it starts)
// whole; this thread starts a new one, grown again by appends (no reserve,
// so a quiet site holds no 64 KiB).
void View::write_out(std::size_t slot, std::time_t now) {
  snapshot_->writer->submit(snapshot_->logs[slot], std::exchange(buffers_[slot], {}), now);
}

}  // namespace gatehouse::http

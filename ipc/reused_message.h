// One message object that a channel's `On<T>` handler parses every small
// message into, so that a stream of them allocates nothing: parsing into a
// used message keeps its strings' capacity.
//
// Thread: the channel's (the count is not atomic). A `Lease` keeps the message
// alive for one call even if the `ReusedMessage` is destroyed meanwhile (a
// handler that destroys its channel, or replaces itself, destroys the lambda
// that owns it). Calls do not nest: the channel never dispatches from inside
// a handler.
#ifndef BULKHEAD_IPC_REUSED_MESSAGE_H_
#define BULKHEAD_IPC_REUSED_MESSAGE_H_

#include <utility>

namespace bulkhead::ipc {

template <typename T>
class ReusedMessage {
  struct Box {
    T message;
    int holders = 1;
  };

 public:
  class Lease {
   public:
    explicit Lease(Box* box) : box_(box) { ++box_->holders; }
    ~Lease() { Release(box_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    T& operator*() { return box_->message; }
    T* operator->() { return &box_->message; }

   private:
    Box* box_;
  };

  ReusedMessage() : box_(new Box) {}
  ReusedMessage(ReusedMessage&& other) noexcept
      : box_(std::exchange(other.box_, nullptr)) {}
  ReusedMessage& operator=(ReusedMessage&&) = delete;
  ~ReusedMessage() { Release(box_); }

  Lease Take() { return Lease(box_); }

 private:
  static void Release(Box* box) {
    if (box != nullptr && --box->holders == 0) delete box;
  }

  Box* box_;
};

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_REUSED_MESSAGE_H_

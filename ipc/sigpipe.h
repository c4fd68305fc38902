// Writing to a channel whose peer died must be an error value (EPIPE), not a
// SIGPIPE that kills the writer. libuv leaves this to the application, as
// Node.js does at start-up.
#ifndef BULKHEAD_IPC_SIGPIPE_H_
#define BULKHEAD_IPC_SIGPIPE_H_

namespace bulkhead::ipc {

// Sets SIGPIPE to ignored for the whole process, once; a no-op where there is
// no SIGPIPE. Called by Channel::Create.
void IgnoreSigpipe();

}  // namespace bulkhead::ipc

#endif  // BULKHEAD_IPC_SIGPIPE_H_

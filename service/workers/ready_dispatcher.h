// SPDX-License-Identifier: GPL-2.0-or-later
// The one reader of READY. Every member of the "tlshd" group gets every READY, so when each
// worker listened, all of them raced to ACCEPT each request and all but one got an empty answer
// (EAGAIN): a netlink round trip per worker per request, spent under load. The dispatcher reads
// READY alone and gives each one, as a credit, to the worker with the most room; a worker
// ACCEPTs once per credit. READYs that come while every worker is full go to a shared pool that
// the first worker with room takes from. A READY overrun (lost notifications) or a read error
// makes every worker drain.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "base/unique_fd.h"
#include "netlink/genl_socket.h"
#include "service/service_state.h"
#include "service/workers/worker.h"

namespace handshaked::workers {

class ReadyDispatcher {
public:
    // workers outlive the dispatcher; liveness_slot is its slot on the liveness board.
    ReadyDispatcher(ServiceState& context, std::vector<Worker*> workers, int liveness_slot);

    Result<void> open();  // joins the group
    void run();           // the thread body; returns after request_stop()
    void request_stop();  // thread-safe

    // Which worker gets the next READY: the least loaded (jobs plus credits) that has room, else
    // the least loaded of all. Loads are what each worker published; pure, for the unit test.
    static std::size_t choose(const std::vector<unsigned>& loads, unsigned capacity);

private:
    void hand_out(int ready);

    ServiceState& context_;
    std::vector<Worker*> workers_;
    int liveness_slot_;
    std::unique_ptr<netlink::ReadyListener> listener_;
    UniqueFd wake_;
    std::atomic<bool> stopping_{false};
};

}  // namespace handshaked::workers

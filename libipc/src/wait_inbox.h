// WaitInbox: the messages that arrive while a blocking wait (waitForMessage()
// and the other waits of Client and Server) runs, kept for the next
// waitForMessage() in order. Messages that arrive while no wait runs are
// not kept: they reach messageReceived() only.
#pragma once

#include <ipc/message.h>

#include <deque>

namespace ipc {

class WaitInbox
{
public:
    // Counts one running wait for as long as it lives.
    class Waiting
    {
    public:
        explicit Waiting(WaitInbox &inbox) : m_inbox(inbox) { ++m_inbox.m_waiters; }
        ~Waiting() { --m_inbox.m_waiters; }
        Q_DISABLE_COPY(Waiting)

    private:
        WaitInbox &m_inbox;
    };

    void offer(const Message &message)
    {
        if (m_waiters > 0)
            m_messages.push_back(message);
    }
    bool isEmpty() const { return m_messages.empty(); }
    Message take()
    {
        Message message = std::move(m_messages.front());
        m_messages.pop_front();
        return message;
    }

private:
    std::deque<Message> m_messages;
    int m_waiters = 0;
};

} // namespace ipc

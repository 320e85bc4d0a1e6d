// WaitInbox: the messages that arrive while a blocking wait (waitForMessage()
// and the other waits of Client and Server) runs, kept for the next
// waitForMessage() in order. Messages that arrive while no wait runs are
// not kept: they reach messageReceived() only. The copies are bounded (an
// application may wait often and never ask for them): beyond the bounds the
// oldest go, each of which has reached messageReceived() already.
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

    static constexpr std::size_t MaxMessages = 4096;
    static constexpr qint64 MaxBytes = 64 << 20;

    void offer(const Message &message)
    {
        if (m_waiters == 0)
            return;
        m_messages.push_back(message);
        m_bytes += message.data.size();
        while (m_messages.size() > MaxMessages || (m_bytes > MaxBytes && m_messages.size() > 1))
            take();
    }
    bool isEmpty() const { return m_messages.empty(); }
    Message take()
    {
        Message message = std::move(m_messages.front());
        m_messages.pop_front();
        m_bytes -= message.data.size();
        return message;
    }

private:
    std::deque<Message> m_messages;
    qint64 m_bytes = 0;
    int m_waiters = 0;
};

} // namespace ipc

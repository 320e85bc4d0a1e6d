// Delivery guarantees in one process: acknowledgements both ways, what close(),
// a timeout and destruction report, graceful disconnection, back-pressure
// signals, and what a client does when its server was replaced.
#include "testnames.h"

#include <ipc/client.h>
#include <ipc/server.h>

#include <QRegularExpression>
#include <QSignalSpy>
#include <QtTest>

using namespace std::chrono_literals;
using namespace ipc;

namespace {

int sum(const QSignalSpy &spy, int argument)
{
    int total = 0;
    for (const QList<QVariant> &call : spy)
        total += call.at(argument).toInt();
    return total;
}

QByteArray numbered(int i)
{
    return QByteArray::number(i);
}

} // namespace

class TestDelivery : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<ipc::Error>();
    }

    // Every message both ways is confirmed, and the counts come back to 0.
    void acknowledgementsBothWays()
    {
        const QString name = uniqueName("acks");
        Server server(name);
        QVERIFY(server.listen());
        Client client(name);
        QVERIFY(client.waitForConnected(30s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 30000);
        const quint64 id = server.clientIds().first();
        QSignalSpy clientConfirmed(&client, &Client::messagesDelivered);
        QSignalSpy serverConfirmed(&server, &Server::clientMessagesDelivered);
        int serverGot = 0;
        int clientGot = 0;
        connect(&server, &Server::messageReceived, this, [&] { ++serverGot; });
        connect(&client, &Client::messageReceived, this, [&] { ++clientGot; });
        for (int i = 1; i <= 1500; ++i) {
            QVERIFY(client.write(1, numbered(i)));
            QVERIFY(server.write(id, 2, numbered(i)));
        }
        QVERIFY(client.unconfirmedMessageCount() > 0);
        QVERIFY(client.waitForDelivered(60s));
        QVERIFY(server.waitForDelivered(60s));
        QCOMPARE(serverGot, 1500);
        QCOMPARE(clientGot, 1500);
        QCOMPARE(sum(clientConfirmed, 0), 1500);
        QCOMPARE(sum(serverConfirmed, 1), 1500);
        QCOMPARE(client.unconfirmedMessageCount(), 0);
        QCOMPARE(server.unconfirmedMessageCount(id), 0);
        QCOMPARE(client.bytesToWrite(), 0);
    }

    // bytesToWrite() covers the connection's buffer and the queue;
    // waitForBytesWritten() returns once the system has taken it all.
    void bytesToWriteAndWait()
    {
        const QString name = uniqueName("bytes");
        Server server(name);
        QVERIFY(server.listen());
        Client client(name);
        QCOMPARE(client.bytesToWrite(), 0);
        QVERIFY(client.write(1, QByteArray(1000, 'q'))); // queued: not connected yet
        QCOMPARE(client.bytesToWrite(), 1000);
        QVERIFY(client.waitForConnected(30s));
        QVERIFY(client.write(1, QByteArray(2 << 20, 'b')));
        QVERIFY(client.bytesToWrite() > 0);
        client.flush();
        QVERIFY(client.waitForBytesWritten(60s));
        QCOMPARE(client.bytesToWrite(), 0);
        QVERIFY(client.waitForDelivered(60s));
    }

    // close() on a live connection counts every message the server has not
    // confirmed, and hands back those very messages, in order, uncopied.
    void closeReportsAndHandsBackUnconfirmed()
    {
        const QString name = uniqueName("close");
        Server server(name);
        QVERIFY(server.listen());
        ClientConfig config;
        config.sendWindow.messages = 1024;
        Client client(name, config);
        QVERIFY(client.waitForConnected(30s));
        QSignalSpy dropped(&client, &Client::messagesDropped);
        QList<QByteArray> written;
        for (int i = 1; i <= 1500; ++i) { // more than the send window: some wait in the queue
            written.append(numbered(i));
            QVERIFY(client.write(1, written.last()));
        }
        QCOMPARE(client.unconfirmedMessageCount(), 1500);
        QVERIFY(client.queuedMessageCount() > 0);
        client.close(); // before the event loop ran: nothing can have been confirmed
        QCOMPARE(dropped.count(), 1);
        QCOMPARE(dropped.at(0).at(0).toInt(), 1500);
        QCOMPARE(client.unconfirmedMessageCount(), 0);
        const QList<Message> back = client.takeUndeliveredMessages();
        QCOMPARE(back.size(), 1500);
        for (int i = 0; i < back.size(); ++i) {
            QCOMPARE(back.at(i).data, written.at(i));
            QCOMPARE(back.at(i).data.constData(), written.at(i).constData()); // held by reference
        }
        QVERIFY(client.takeUndeliveredMessages().isEmpty());
    }

    // Giving up connecting reports the queued messages and returns them.
    void timeoutHandsBackQueued()
    {
        ClientConfig config;
        config.timeout = 300ms;
        Client client(uniqueName("nobody"), config);
        QSignalSpy dropped(&client, &Client::messagesDropped);
        for (int i = 1; i <= 5; ++i)
            QVERIFY(client.write(i, numbered(i)));
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), Status::Timeout, 30000);
        QCOMPARE(sum(dropped, 0), 5);
        const QList<Message> back = client.takeUndeliveredMessages();
        QCOMPARE(back.size(), 5);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(back.at(i).type, i + 1);
    }

    // Destroyed with unconfirmed messages: a warning names the count.
    void destructionWarnsWithTheCount()
    {
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("destroyed with 7 unconfirmed message")));
        ClientConfig config;
        config.timeout = 60s;
        auto client = std::make_unique<Client>(uniqueName("nobody"), config);
        for (int i = 1; i <= 7; ++i)
            QVERIFY(client->write(1, numbered(i)));
        client.reset();
    }

    // disconnectFromServer() before the connection exists: it connects,
    // delivers everything, then closes; later writes are refused.
    void disconnectFromServerDeliversEverything()
    {
        const QString name = uniqueName("graceful");
        Server server(name);
        QVERIFY(server.listen());
        ClientConfig config;
        config.writeQueueLimit = 3000;
        Client client(name, config);
        QSignalSpy dropped(&client, &Client::messagesDropped);
        QList<int> got;
        connect(&server, &Server::messageReceived, this, [&](const Message &m) { got.append(m.data.toInt()); });
        for (int i = 1; i <= 3000; ++i)
            QVERIFY(client.write(1, numbered(i)));
        client.disconnectFromServer();
        QVERIFY(!client.write(1, "late"));
        QCOMPARE(client.error(), Error::NotConnected);
        QVERIFY(client.waitForDisconnected(60s));
        QCOMPARE(client.status(), Status::Closed);
        QCOMPARE(dropped.count(), 0);
        QCOMPARE(got.size(), 3000);
        for (int i = 0; i < got.size(); ++i)
            QCOMPARE(got.at(i), i + 1);
    }

    // The server gives up on a client that said goodbye without reading:
    // its count and its messages, for that client only.
    void serverReportsPerClient()
    {
        const QString name = uniqueName("perclient");
        Server server(name);
        QVERIFY(server.listen());
        auto client = std::make_unique<Client>(name);
        QVERIFY(client->waitForConnected(30s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 30000);
        const quint64 id = server.clientIds().first();
        QSignalSpy dropped(&server, &Server::clientMessagesDropped);
        for (int i = 1; i <= 100; ++i)
            QVERIFY(server.write(id, 3, numbered(i)));
        QCOMPARE(server.unconfirmedMessageCount(id), 100);
        client.reset(); // reads nothing, says goodbye
        QTRY_COMPARE_WITH_TIMEOUT(dropped.count(), 1, 30000);
        QCOMPARE(dropped.at(0).at(0).toULongLong(), id);
        QCOMPARE(dropped.at(0).at(1).toInt(), 100);
        QVERIFY(server.takeUndeliveredMessages(id + 1000).isEmpty());
        const QList<Message> back = server.takeUndeliveredMessages(id);
        QCOMPARE(back.size(), 100);
        QCOMPARE(back.first().data, numbered(1));
        QCOMPARE(back.last().data, numbered(100));
        QCOMPARE(back.last().clientId, id);
    }

    // A server replaced by a new one (a restart) never confirmed what the
    // old one was sent: at least once, the new one gets it all; at most
    // once, it is reported and handed back instead.
    void serverReplaced_data()
    {
        QTest::addColumn<bool>("atMostOnce");
        QTest::newRow("at least once") << false;
        QTest::newRow("at most once") << true;
    }

    void serverReplaced()
    {
        QFETCH(bool, atMostOnce);
        const Redelivery redelivery = atMostOnce ? Redelivery::AtMostOnce : Redelivery::AtLeastOnce;
        const QString name = uniqueName("replaced");
        auto first = std::make_unique<Server>(name);
        QVERIFY(first->listen());
        ClientConfig config;
        config.redelivery = redelivery;
        config.retryTimer = RetryTimer::fixed(20ms);
        Client client(name, config);
        QVERIFY(client.waitForConnected(30s));
        QSignalSpy dropped(&client, &Client::messagesDropped);
        QSignalSpy disconnected(&client, &Client::disconnected);
        for (int i = 1; i <= 10; ++i)
            QVERIFY(client.write(1, numbered(i)));
        first.reset(); // before it read anything
        QVERIFY(disconnected.wait(30000));

        Server second(name);
        QVERIFY(second.listen());
        QList<int> got;
        connect(&second, &Server::messageReceived, this, [&](const Message &m) { got.append(m.data.toInt()); });
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), Status::Connected, 30000);
        QVERIFY(client.write(1, numbered(11))); // after whatever is re-sent
        QVERIFY(client.waitForDelivered(30s) || redelivery == Redelivery::AtMostOnce);
        QTRY_VERIFY_WITH_TIMEOUT(!got.isEmpty() && got.last() == 11, 30000);
        if (redelivery == Redelivery::AtLeastOnce) {
            QCOMPARE(got, QList<int>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
            QCOMPARE(dropped.count(), 0);
        } else {
            QCOMPARE(got, QList<int>{11});
            QCOMPARE(sum(dropped, 0), 10);
            QCOMPARE(client.takeUndeliveredMessages().size(), 10);
        }
    }

    // The queue filling and draining are each signalled once per
    // transition; a producer that heeds them is never refused.
    void backPressureSignalsTransitions()
    {
        const QString name = uniqueName("pressure");
        Server server(name);
        QVERIFY(server.listen());
        ClientConfig config;
        config.sendWindow.messages = 16;
        config.writeQueueLimit = 32;
        Client client(name, config);
        QVERIFY(client.waitForConnected(30s));
        QSignalSpy writable(&client, &Client::writableChanged);
        QSignalSpy errors(&client, &Client::errorOccurred);
        int got = 0;
        connect(&server, &Server::messageReceived, this, [&] { ++got; });
        constexpr int total = 5000;
        int next = 1;
        int highest = 0;
        const auto produce = [&] {
            while (next <= total && client.isWritable()) {
                QVERIFY(client.write(1, numbered(next)));
                ++next;
                highest = qMax(highest, client.unconfirmedMessageCount());
            }
        };
        connect(&client, &Client::writableChanged, this, [&](bool on) {
            if (on)
                produce();
        });
        produce();
        QTRY_COMPARE_WITH_TIMEOUT(got, total, 120000);
        QVERIFY(client.waitForDelivered(30s));
        QVERIFY(highest <= 16 + 32);
        QVERIFY(writable.count() >= 2);
        for (int i = 0; i < writable.count(); ++i) // strictly alternating: false, true, false, ...
            QCOMPARE(writable.at(i).at(0).toBool(), i % 2 == 1);
        QCOMPARE(errors.count(), 0);

        // A producer that ignores them is refused, with one error per stretch.
        while (client.isWritable())
            QVERIFY(client.write(1, "x"));
        QVERIFY(!client.write(1, "y"));
        QVERIFY(!client.write(1, "z"));
        QCOMPARE(client.error(), Error::WriteQueueFull);
        QCOMPARE(errors.count(), 1);
        client.close();
    }
};

QTEST_MAIN(TestDelivery)
#include "tst_delivery.moc"

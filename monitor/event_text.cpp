#include "event_text.h"

#include <QCborArray>
#include <QDateTime>

namespace monitor {

using namespace ipc::telemetry;

namespace {

QString clock(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss.zzz"));
}

QString who(const ProcessState *process)
{
    return process ? QStringLiteral("%1[%2]").arg(process->name).arg(process->pid) : QStringLiteral("?");
}

QString text(const QCborMap &event, const char *name)
{
    return event.value(key(name)).toVariant().toString();
}

} // namespace

QString outcomeName(qint64 outcome)
{
    switch (RequestOutcome(outcome)) {
    case RequestOutcome::Reply: return QStringLiteral("replied");
    case RequestOutcome::ErrorReply: return QStringLiteral("error reply");
    case RequestOutcome::Timeout: return QStringLiteral("timed out");
    case RequestOutcome::ConnectionLost: return QStringLiteral("connection lost");
    case RequestOutcome::Refused: return QStringLiteral("refused");
    }
    return QStringLiteral("outcome %1").arg(outcome);
}

QString payloadPreview(const QByteArray &payload)
{
    for (const char c : payload) {
        if ((uchar(c) < 0x20 && c != '\t') || uchar(c) == 0x7f)
            return QString::fromLatin1(payload.toHex(' '));
    }
    return QLatin1Char('"') + QString::fromUtf8(payload) + QLatin1Char('"');
}

QList<EventLine> describeEvent(const ProcessState *process, EventType type, const QCborMap &event, qint64 arrival)
{
    const QString now = clock(arrival);
    const QString from = who(process);
    QList<EventLine> lines;
    // Events print at their arrival; counters and samples carry their own times.
    qint64 at = arrival;
    const auto addLine = [&](const QString &text) { lines.append(EventLine{at, text}); };
    switch (type) {
    case EventType::Hello:
        addLine(QStringLiteral("%1 hello %2[%3] libipc %4")
                     .arg(now, text(event, Key::Process), text(event, Key::Pid), text(event, Key::Library)));
        break;
    case EventType::EndpointUp:
        addLine(QStringLiteral("%1 %2 endpoint %3 up: %4 %5 %6 (%7)")
                     .arg(now, from, text(event, Key::Endpoint), text(event, Key::Role), text(event, Key::Address),
                          text(event, Key::Transport), text(event, Key::Protocol)));
        break;
    case EventType::EndpointStatus:
        addLine(QStringLiteral("%1 %2 endpoint %3 status %4")
                     .arg(now, from, text(event, Key::Endpoint), text(event, Key::Status)));
        break;
    case EventType::EndpointDown:
        addLine(QStringLiteral("%1 %2 endpoint %3 down").arg(now, from, text(event, Key::Endpoint)));
        break;
    case EventType::ConnectionOpened:
        addLine(QStringLiteral("%1 %2 connection %3 opened on endpoint %4, peer %5 pid %6 uid %7")
                     .arg(now, from, text(event, Key::Connection), text(event, Key::Endpoint),
                          text(event, Key::PeerAddress), text(event, Key::PeerPid), text(event, Key::PeerUid)));
        break;
    case EventType::ConnectionEstablished:
        addLine(QStringLiteral("%1 %2 connection %3 established: %4, peer %5[%6], %7 (%8) hash %9")
                     .arg(now, from, text(event, Key::Connection), text(event, Key::Protocol),
                          text(event, Key::PeerProcess), text(event, Key::PeerPid), text(event, Key::Security),
                          text(event, Key::Encryption), text(event, Key::HandshakeHash)));
        break;
    case EventType::ConnectionError:
        addLine(QStringLiteral("%1 %2 connection %3 error %4: %5")
                     .arg(now, from, text(event, Key::Connection), text(event, Key::Error), text(event, Key::Reason)));
        break;
    case EventType::ConnectionClosed: {
        const QString error = text(event, Key::Error);
        addLine(QStringLiteral("%1 %2 connection %3 closed%4: %5")
                     .arg(now, from, text(event, Key::Connection),
                          error.isEmpty() ? QString() : QStringLiteral(" with %1").arg(error), text(event, Key::Reason)));
        break;
    }
    case EventType::Counters:
        at = event.value(key(Key::Time)).toInteger();
        for (const QCborValue &value : event.value(key(Key::Rows)).toArray()) {
            const QCborArray row = value.toArray();
            // Remote-object traffic names its object and member.
            const QString what = row.size() > 7 ? row.at(7).toString()
                                                : QStringLiteral("type %1").arg(row.at(2).toInteger());
            addLine(QStringLiteral("%1 %2 connection %3 %4 %5: %6 message(s), %7 bytes (%8..%9)")
                         .arg(clock(event.value(key(Key::Time)).toInteger()), from)
                         .arg(row.at(0).toInteger())
                         .arg(row.at(1).toInteger() == int(Direction::Received) ? QStringLiteral("in") : QStringLiteral("out"))
                         .arg(what)
                         .arg(row.at(3).toInteger())
                         .arg(row.at(4).toInteger())
                         .arg(row.at(5).toInteger())
                         .arg(row.at(6).toInteger()));
        }
        break;
    case EventType::MessageSamples:
        for (const QCborValue &value : event.value(key(Key::Rows)).toArray()) {
            const QCborArray row = value.toArray();
            at = row.at(0).toInteger();
            const QString what = row.size() > 6 ? row.at(6).toString()
                                                : QStringLiteral("type %1").arg(row.at(3).toInteger());
            QString line = QStringLiteral("%1 %2 connection %3 %4 %5 %6 bytes")
                               .arg(clock(row.at(0).toInteger()), from)
                               .arg(row.at(1).toInteger())
                               .arg(row.at(2).toInteger() == int(Direction::Received) ? QStringLiteral("<-")
                                                                                      : QStringLiteral("->"))
                               .arg(what)
                               .arg(row.at(4).toInteger());
            if (row.size() > 7) // an object message's arguments, decoded
                line += QLatin1Char(' ') + row.at(7).toDiagnosticNotation(QCborValue::Compact);
            else if (row.size() > 5 && !row.at(5).isNull())
                line += QLatin1Char(' ') + payloadPreview(row.at(5).toByteArray());
            addLine(line);
        }
        break;
    case EventType::Dropped:
        addLine(QStringLiteral("%1 %2 dropped: %3 sample(s), %4 event(s) not reported")
                     .arg(now, from, text(event, Key::Samples), text(event, Key::Events)));
        break;
    case EventType::Delivery:
        at = event.value(key(Key::Time)).toInteger();
        for (const QCborValue &value : event.value(key(Key::Rows)).toArray()) {
            const QCborArray row = value.toArray();
            if (row.size() < 15)
                continue;
            // The numbers first, the process's name last and in one arg(): a
            // name holding "%1" stays as it is.
            const auto number = [&row](int i) { return QString::number(row.at(i).toInteger()); };
            const QString what = QStringLiteral("connection %1 delivery: %2 unconfirmed (%3 bytes), %4 queued, %5 refused, "
                                                "back-pressure %6, resumed %7 (%8 re-sent), %9 handed back")
                                     .arg(number(0), number(1), number(2), number(5), number(8), number(9), number(10),
                                          number(11), number(12));
            addLine(QStringLiteral("%1 %2 %3%4")
                        .arg(clock(at), from, what,
                             row.at(13).toBool() ? QString() : QStringLiteral(", writes not accepted")));
        }
        break;
    case EventType::Requests:
        at = event.value(key(Key::Time)).toInteger();
        for (const QCborValue &value : event.value(key(Key::Rows)).toArray()) {
            const QCborArray row = value.toArray();
            const qint64 count = row.at(4).toInteger();
            const QString what = row.size() > 8 ? row.at(8).toString() : QStringLiteral("type %1").arg(row.at(2).toInteger());
            addLine(QStringLiteral("%1 %2 endpoint %3 peer %4 requests to %5: %6 %7, mean %8, max %9")
                         .arg(clock(at), from, QString::number(row.at(0).toInteger()),
                              QString::number(row.at(1).toInteger()), what, QString::number(count),
                              outcomeName(row.at(3).toInteger()),
                              durationText(count > 0 ? quint64(qMax<qint64>(0, row.at(5).toInteger()) / count) : 0),
                              durationText(quint64(qMax<qint64>(0, row.at(6).toInteger())))));
        }
        break;
    }
    return lines;
}

} // namespace monitor

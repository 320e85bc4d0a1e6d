#include "event_json.h"

#include <QCborArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace monitor {

using namespace ipc::telemetry;

namespace {

QString direction(const QCborValue &value)
{
    return value.toInteger() == int(Direction::Received) ? QStringLiteral("in") : QStringLiteral("out");
}

QString line(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

} // namespace

QString eventName(EventType type)
{
    switch (type) {
    case EventType::Hello: return QStringLiteral("Hello");
    case EventType::EndpointUp: return QStringLiteral("EndpointUp");
    case EventType::EndpointStatus: return QStringLiteral("EndpointStatus");
    case EventType::EndpointDown: return QStringLiteral("EndpointDown");
    case EventType::ConnectionOpened: return QStringLiteral("ConnectionOpened");
    case EventType::ConnectionEstablished: return QStringLiteral("ConnectionEstablished");
    case EventType::ConnectionError: return QStringLiteral("ConnectionError");
    case EventType::ConnectionClosed: return QStringLiteral("ConnectionClosed");
    case EventType::Counters: return QStringLiteral("Counters");
    case EventType::MessageSamples: return QStringLiteral("MessageSamples");
    case EventType::Dropped: return QStringLiteral("Dropped");
    case EventType::Requests: return QStringLiteral("Requests");
    case EventType::Delivery: return QStringLiteral("Delivery");
    }
    return QStringLiteral("Event%1").arg(int(type));
}

QList<EventLine> eventJson(const ProcessState *process, EventType type, const QCborMap &event, qint64 arrival)
{
    QJsonObject common{{QStringLiteral("event"), eventName(type)}};
    if (process) {
        common.insert(QStringLiteral("pid"), process->pid);
        common.insert(QStringLiteral("process"), process->name);
    }
    QList<EventLine> lines;
    const auto add = [&](qint64 time, QJsonObject object) {
        object.insert(QStringLiteral("time"), time);
        for (auto it = common.constBegin(); it != common.constEnd(); ++it)
            object.insert(it.key(), it.value());
        lines.append(EventLine{time, line(object)});
    };
    switch (type) {
    case EventType::Counters: {
        const qint64 time = event.value(key(Key::Time)).toInteger();
        for (const QCborValue &value : event.value(key(Key::Rows)).toArray()) {
            const QCborArray row = value.toArray();
            QJsonObject object{{QStringLiteral("connection"), row.at(0).toInteger()},
                               {QStringLiteral("direction"), direction(row.at(1))},
                               {QStringLiteral("type"), row.at(2).toInteger()},
                               {QStringLiteral("count"), row.at(3).toInteger()},
                               {QStringLiteral("bytes"), row.at(4).toInteger()},
                               {QStringLiteral("minSize"), row.at(5).toInteger()},
                               {QStringLiteral("maxSize"), row.at(6).toInteger()}};
            if (row.size() > 7)
                object.insert(QStringLiteral("name"), row.at(7).toString());
            add(time, object);
        }
        break;
    }
    case EventType::MessageSamples:
        for (const QCborValue &value : event.value(key(Key::Rows)).toArray()) {
            const QCborArray row = value.toArray();
            QJsonObject object{{QStringLiteral("connection"), row.at(1).toInteger()},
                               {QStringLiteral("direction"), direction(row.at(2))},
                               {QStringLiteral("type"), row.at(3).toInteger()},
                               {QStringLiteral("size"), row.at(4).toInteger()}};
            if (row.size() > 5 && !row.at(5).isNull())
                object.insert(QStringLiteral("payload"), QString::fromLatin1(row.at(5).toByteArray().toBase64()));
            if (row.size() > 6)
                object.insert(QStringLiteral("name"), row.at(6).toString());
            if (row.size() > 7) // an object message's arguments, decoded
                object.insert(QStringLiteral("arguments"), row.at(7).toJsonValue());
            add(row.at(0).toInteger(), object);
        }
        break;
    case EventType::Delivery: {
        const qint64 time = event.value(key(Key::Time)).toInteger();
        static const char *const fields[] = {"connection", "unconfirmed", "unconfirmedBytes", "windowMessages",
                                             "windowBytes", "queued", "queuedBytes", "socketBytes", "refused",
                                             "backPressure", "resumptions", "resent", "handedBack"};
        for (const QCborValue &value : event.value(key(Key::Rows)).toArray()) {
            const QCborArray row = value.toArray();
            if (row.size() < 15)
                continue;
            QJsonObject object;
            for (int i = 0; i < 13; ++i)
                object.insert(QLatin1String(fields[i]), row.at(i).toInteger());
            object.insert(QStringLiteral("writable"), row.at(13).toBool());
            object.insert(QStringLiteral("acknowledging"), row.at(14).toBool());
            add(time, object);
        }
        break;
    }
    case EventType::Requests: {
        const qint64 time = event.value(key(Key::Time)).toInteger();
        for (const QCborValue &value : event.value(key(Key::Rows)).toArray()) {
            const QCborArray row = value.toArray();
            // The histogram as [bucket start in microseconds, count] pairs.
            QJsonArray buckets;
            const QCborArray pairs = row.at(7).toArray();
            for (qsizetype i = 0; i + 1 < pairs.size(); i += 2) {
                const qint64 bucket = pairs.at(i).toInteger(-1);
                if (bucket >= 0 && bucket < LatencyBuckets)
                    buckets.append(QJsonArray{qint64(latencyBucketStart(int(bucket))), pairs.at(i + 1).toInteger()});
            }
            QJsonObject object{{QStringLiteral("endpoint"), row.at(0).toInteger()},
                               {QStringLiteral("peer"), row.at(1).toInteger()},
                               {QStringLiteral("type"), row.at(2).toInteger()},
                               {QStringLiteral("outcome"), outcomeName(row.at(3).toInteger())},
                               {QStringLiteral("count"), row.at(4).toInteger()},
                               {QStringLiteral("sumMicros"), row.at(5).toInteger()},
                               {QStringLiteral("maxMicros"), row.at(6).toInteger()},
                               {QStringLiteral("buckets"), buckets}};
            if (row.size() > 8)
                object.insert(QStringLiteral("name"), row.at(8).toString());
            add(time, object);
        }
        break;
    }
    default: {
        // The other events' keys are plain values: as they are.
        QJsonObject object = event.toJsonObject();
        add(arrival, object);
        break;
    }
    }
    return lines;
}

} // namespace monitor

#include "telemetry/object_traffic.h"

#include "objects/object_protocol.h"

#include <QCborArray>
#include <QCborStreamReader>

namespace ipc::telemetry::object_traffic {

namespace {

// A label's bits: the operation (4), the answer (2), the member + 1 (16;
// 0 for none), the handle (40; handles start below 2^39), and a marker so
// that no label is 0.
constexpr int AnswerShift = 4;
constexpr int MemberShift = 6;
constexpr int HandleShift = 22;
constexpr quint64 MemberMask = 0xFFFF;
constexpr quint64 HandleMask = (quint64(1) << 40) - 1;
constexpr quint64 Marker = quint64(1) << 62;

quint64 opOf(quint64 label)
{
    return label & 0xF;
}
Answer answerOf(quint64 label)
{
    return Answer((label >> AnswerShift) & 0x3);
}
int memberOf(quint64 label)
{
    return int((label >> MemberShift) & MemberMask) - 1;
}

quint64 make(qint32 op, quint64 handle, qint64 member)
{
    quint64 label = Marker | (quint64(op) & 0xF);
    if (handle <= HandleMask)
        label |= handle << HandleShift;
    if (member >= 0 && quint64(member) < MemberMask)
        label |= quint64(member + 1) << MemberShift;
    return label;
}

// The leading integers of an array head: [handle, member, ...].
bool readLeadingIntegers(QCborStreamReader &reader, quint64 *first, qint64 *second)
{
    if (!reader.isArray() || !reader.enterContainer() || !reader.isUnsignedInteger())
        return false;
    *first = quint64(reader.toUnsignedInteger());
    reader.next();
    if (second && reader.isUnsignedInteger() && reader.toUnsignedInteger() <= MemberMask)
        *second = qint64(reader.toUnsignedInteger());
    return true;
}

QString memberName(const QStringList &list, int index, const char *kind)
{
    return index >= 0 && index < list.size()
        ? list[index]
        : QStringLiteral("%1 %2").arg(QLatin1String(kind)).arg(index);
}

} // namespace

quint64 label(qint32 op, const QByteArray &data)
{
    if (op < objects::Acquire || op > objects::Missed)
        return make(0, 0, -1);
    QCborStreamReader reader(data);
    quint64 handle = 0;
    qint64 member = -1;
    switch (op) {
    case objects::Emission:
    case objects::Invoke:
    case objects::SetProperty:
        readLeadingIntegers(reader, &handle, &member);
        break;
    case objects::Withdrawn:
    case objects::Missed:
        readLeadingIntegers(reader, &handle, nullptr);
        break;
    case objects::Release: {
        QString why;
        objects::decodeHandle(data, &handle, &why); // a small map: decoded whole
        break;
    }
    default: // Acquire, List: no handle yet
        break;
    }
    return make(op, handle, member);
}

quint64 answerLabel(quint64 call, Answer answer)
{
    return (call & ~(quint64(0x3) << AnswerShift)) | (quint64(answer) << AnswerShift);
}

quint64 handleOf(quint64 label)
{
    return (label >> HandleShift) & HandleMask;
}

QString name(quint64 label, const ObjectNames *names)
{
    const quint64 handle = handleOf(label);
    const QString object = names ? names->object : QStringLiteral("object %1").arg(handle);
    const int member = memberOf(label);
    QString text;
    switch (opOf(label)) {
    case objects::Acquire:
        text = QStringLiteral("(acquire)");
        break;
    case objects::List:
        text = QStringLiteral("(list objects)");
        break;
    case objects::Emission:
        text = object + QLatin1Char('.')
            + memberName(names ? names->signalList : QStringList(), member, "signal");
        break;
    case objects::Invoke:
        text = object + QLatin1Char('.')
            + memberName(names ? names->methods : QStringList(), member, "method");
        break;
    case objects::SetProperty:
        text = object + QLatin1Char('.')
            + memberName(names ? names->properties : QStringList(), member, "property")
            + QStringLiteral(" (set)");
        break;
    case objects::Release:
        text = object + QStringLiteral(" (release)");
        break;
    case objects::Withdrawn:
        text = object + QStringLiteral(" (withdrawn)");
        break;
    case objects::Missed:
        text = object + QStringLiteral(" (missed emissions)");
        break;
    default:
        text = QStringLiteral("(object message)");
        break;
    }
    switch (answerOf(label)) {
    case Answer::Reply:
        return text + QStringLiteral(" reply");
    case Answer::ErrorReply:
        return text + QStringLiteral(" error reply");
    case Answer::None:
        break;
    }
    return text;
}

QCborValue arguments(quint64 label, const QByteArray &data, qsizetype limit)
{
    if (data.size() > limit)
        return QCborValue();
    if (answerOf(label) == Answer::ErrorReply)
        return QString::fromUtf8(data); // an error reply's data is its text
    const QCborValue item = QCborValue::fromCbor(data);
    if (answerOf(label) != Answer::None)
        return item;
    switch (opOf(label)) {
    case objects::Emission:
    case objects::Invoke:
        return item.toArray().at(2); // [handle, member, [arguments], ...]
    case objects::SetProperty:
        return QCborArray { item.toArray().at(2) };
    case objects::Withdrawn:
    case objects::Missed:
        return item.toArray().at(1); // the reason, or how many were missed
    default:
        return item;
    }
}

} // namespace ipc::telemetry::object_traffic

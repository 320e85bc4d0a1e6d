// The remote-object tests' source: a thermostat with properties (one
// read-only, two writable), signals with arguments of several types, and
// methods with results, as an application would write it.
#pragma once

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QUrl>
#include <QUuid>
#include <QVariantMap>

// A struct that travels as a map of its properties.
struct Reading
{
    Q_GADGET
    Q_PROPERTY(double celsius MEMBER celsius)
    Q_PROPERTY(QString sensor MEMBER sensor)
    Q_PROPERTY(QList<int> samples MEMBER samples)
public:
    double celsius = 0;
    QString sensor;
    QList<int> samples;
    bool operator==(const Reading &other) const
    {
        return celsius == other.celsius && sensor == other.sensor && samples == other.samples;
    }
    bool operator!=(const Reading &other) const { return !(*this == other); }
};

class Thermostat : public QObject
{
    Q_OBJECT
    Q_PROPERTY(double temperature READ temperature NOTIFY temperatureChanged)
    Q_PROPERTY(double target READ target WRITE setTarget NOTIFY targetChanged)
    Q_PROPERTY(Thermostat::Mode mode READ mode WRITE setMode NOTIFY modeChanged)

public:
    enum class Mode { Off, Heat, Cool };
    Q_ENUM(Mode)

    using QObject::QObject;

    double temperature() const { return m_temperature; }
    double target() const { return m_target; }
    Mode mode() const { return m_mode; }
    int describeCalls = 0; // how often the source's own code ran

    // Test code's way to change what the sensor reads.
    void measure(double celsius)
    {
        if (qFuzzyCompare(m_temperature, celsius))
            return;
        m_temperature = celsius;
        Q_EMIT temperatureChanged(celsius);
    }

    Q_INVOKABLE QString describe(int detail)
    {
        ++describeCalls;
        return QStringLiteral("thermostat at %1, detail %2").arg(m_temperature).arg(detail);
    }
    Q_INVOKABLE Reading lastReading() const
    {
        return Reading { m_temperature, QStringLiteral("hall"), { 1, 2, 3 } };
    }
    Q_INVOKABLE QList<int> history(int count) const
    {
        QList<int> out;
        for (int i = 0; i < count; ++i)
            out.append(i * 10);
        return out;
    }
    // Every kind of value that travels, returned as it came.
    Q_INVOKABLE QVariantMap echo(bool flag, qint64 big, const QByteArray &bytes,
        const QDateTime &when, const QUrl &url, const QUuid &id, const QStringList &words,
        Mode mode, const Reading &reading)
    {
        return { { QStringLiteral("flag"), flag }, { QStringLiteral("big"), big },
            { QStringLiteral("bytes"), bytes }, { QStringLiteral("when"), when },
            { QStringLiteral("url"), url }, { QStringLiteral("id"), id },
            { QStringLiteral("words"), words }, { QStringLiteral("mode"), int(mode) },
            { QStringLiteral("sensor"), reading.sensor } };
    }
    Q_INVOKABLE Reading roundTrip(const Reading &reading) const { return reading; }

public Q_SLOTS:
    void setTarget(double target)
    {
        if (qFuzzyCompare(m_target, target))
            return;
        m_target = target;
        Q_EMIT targetChanged(target);
    }
    void setMode(Thermostat::Mode mode)
    {
        if (m_mode == mode)
            return;
        m_mode = mode;
        Q_EMIT modeChanged(mode);
    }

Q_SIGNALS:
    void temperatureChanged(double temperature);
    void targetChanged(double target);
    void modeChanged(Thermostat::Mode mode);
    void alarm(const QString &text, int level);
    void readingTaken(const Reading &reading);
    void counted(int n);

private:
    double m_temperature = 20.5;
    double m_target = 21;
    Mode m_mode = Mode::Heat;
};

// An object with a member whose type has no CBOR form.
class Unsendable : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
public Q_SLOTS:
    void adopt(QObject *child) { child->setParent(this); }
};

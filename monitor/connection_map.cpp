#include "connection_map.h"

#include <QPainter>
#include <QPainterPath>
#include <QtMath>

#include <map>

namespace monitor {

ConnectionMap::ConnectionMap(QWidget *parent)
    : QWidget(parent)
{
    setMinimumSize(320, 240);
    setAutoFillBackground(true);
}

int ConnectionMap::nodeIndex(const QString &key, const QString &label, bool reporting)
{
    for (std::size_t i = 0; i < m_nodes.size(); ++i) {
        if (m_nodes[i].key == key) {
            if (reporting) {
                m_nodes[i].reporting = true;
                m_nodes[i].label = label;
            }
            return int(i);
        }
    }
    m_nodes.push_back(Node{key, label, reporting});
    return int(m_nodes.size() - 1);
}

void ConnectionMap::refresh(const Traffic &traffic)
{
    m_nodes.clear();
    m_edges.clear();
    for (const auto &[pid, process] : traffic.processes()) {
        if (!process.gone)
            nodeIndex(QString::number(pid), QStringLiteral("%1\n[%2]").arg(process.name).arg(pid), true);
    }
    // One edge per pair of processes and security; both ends of a
    // connection report it, so each side's count is halved when both do.
    std::map<std::tuple<int, int, int>, Edge> merged;
    for (const auto &[pid, process] : traffic.processes()) {
        if (process.gone)
            continue;
        const int self = nodeIndex(QString::number(pid), QString(), false);
        for (const auto &[id, connection] : process.connections) {
            if (connection.closed || !connection.established)
                continue;
            const bool peerKnown = connection.peerPid > 0;
            const QString peerKey = peerKnown ? QString::number(connection.peerPid) : connection.peerAddress;
            const QString peerLabel = peerKnown
                ? QStringLiteral("%1\n[%2]").arg(connection.peerProcess.isEmpty() ? tr("pid") : connection.peerProcess)
                      .arg(connection.peerPid)
                : connection.peerAddress;
            const int peer = nodeIndex(peerKey, peerLabel, false);
            const int a = qMin(self, peer);
            const int b = qMax(self, peer);
            Edge &edge = merged[{a, b, int(connection.security)}];
            edge.from = a;
            edge.to = b;
            edge.security = connection.security;
            edge.rate += connection.receivedRate + connection.sentRate;
            ++edge.connections;
        }
    }
    for (auto &[key, edge] : merged) {
        const bool bothReport = m_nodes[std::size_t(edge.from)].reporting && m_nodes[std::size_t(edge.to)].reporting
            && edge.from != edge.to;
        if (bothReport) {
            edge.connections = qMax(1, edge.connections / 2);
            edge.rate /= 2;
        }
        m_edges.push_back(edge);
    }
    update();
}

void ConnectionMap::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    // Nodes on an ellipse that fills the widget, the first on the left.
    const QRectF area = rect().adjusted(80, 40, -80, -70);
    const QPointF center = area.center();
    const double radiusX = area.width() / 2;
    const double radiusY = area.height() / 2;
    if (m_nodes.empty()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, tr("No reporting process yet.\nStart one with IPC_MONITOR=1."));
        return;
    }
    std::vector<QPointF> positions;
    for (std::size_t i = 0; i < m_nodes.size(); ++i) {
        const double angle = M_PI + 2 * M_PI * double(i) / double(m_nodes.size());
        positions.push_back(m_nodes.size() == 1 ? center
                                                : center + QPointF(radiusX * qCos(angle), radiusY * qSin(angle)));
    }
    for (const Edge &edge : m_edges) {
        QPen pen(securityColor(edge.security));
        pen.setWidthF(1.5 + qMin(10.0, 2.0 * std::log10(1 + edge.rate)));
        pen.setCapStyle(Qt::RoundCap);
        painter.setPen(pen);
        const QPointF from = positions[std::size_t(edge.from)];
        const QPointF to = positions[std::size_t(edge.to)];
        if (edge.from == edge.to) { // within one process
            painter.drawEllipse(from + QPointF(0, -34), 22, 22);
            continue;
        }
        // Parallel edges of one pair (one per security level) bend apart;
        // each label sits at its curve's apex.
        QPainterPath path(from);
        const QPointF middle = (from + to) / 2;
        const QPointF normal(-(to - from).y(), (to - from).x());
        const double bend = 0.22 * (double(edge.security) - 2.5);
        path.quadTo(middle + normal * bend, to);
        painter.setBrush(Qt::NoBrush); // a filled curve would cover the edges drawn before it
        painter.drawPath(path);
        const QString label = tr("%n conn.", nullptr, edge.connections)
            + (edge.rate > 0 ? QStringLiteral(", %1/s").arg(edge.rate, 0, 'f', 0) : QString());
        const QPointF apex = middle + normal * bend / 2;
        const double width = painter.fontMetrics().horizontalAdvance(label) + 12;
        const QRectF labelBox(apex - QPointF(width / 2, 10), QSizeF(width, 20));
        painter.setPen(Qt::NoPen);
        painter.setBrush(palette().color(QPalette::Window));
        painter.drawRoundedRect(labelBox, 6, 6);
        painter.setPen(palette().color(QPalette::Text));
        painter.drawText(labelBox, Qt::AlignCenter, label);
    }
    for (std::size_t i = 0; i < m_nodes.size(); ++i) {
        const QRectF box(positions[i] - QPointF(62, 22), QSizeF(124, 44));
        painter.setPen(QPen(palette().color(QPalette::Text), 1.2));
        painter.setBrush(m_nodes[i].reporting ? palette().color(QPalette::Base) : palette().color(QPalette::Window));
        painter.drawRoundedRect(box, 8, 8);
        painter.setPen(m_nodes[i].reporting ? palette().color(QPalette::Text) : palette().color(QPalette::PlaceholderText));
        painter.drawText(box, Qt::AlignCenter, m_nodes[i].label);
    }
    // Legend: what the colours mean.
    double x = 12;
    const double y = height() - 24;
    for (Security security : {Security::Authenticated, Security::Encrypted, Security::Weak, Security::Plain}) {
        painter.setPen(QPen(securityColor(security), 4));
        painter.drawLine(QPointF(x, y), QPointF(x + 24, y));
        painter.setPen(palette().color(QPalette::Text));
        const QString label = securityLabel(security);
        painter.drawText(QPointF(x + 30, y + 5), label);
        x += 40 + painter.fontMetrics().horizontalAdvance(label) + 16;
    }
}

} // namespace monitor

// Which process talks to which, and how safely, at one glance: processes as
// nodes on a circle, live connections as edges coloured by their security
// and drawn thicker with their rate.
#pragma once

#include "traffic.h"

#include <QWidget>

#include <vector>

namespace monitor {

class ConnectionMap : public QWidget
{
    Q_OBJECT

public:
    struct Node
    {
        QString key;   // "pid" for a process, else the peer's address
        QString label;
        bool reporting = false;
    };
    struct Edge
    {
        int from = 0; // node indexes
        int to = 0;
        Security security = Security::Unknown;
        double rate = 0;
        int connections = 0;
    };

    explicit ConnectionMap(QWidget *parent = nullptr);

    // Rebuilds nodes and edges from the live connections.
    void refresh(const Traffic &traffic);
    const std::vector<Node> &nodes() const { return m_nodes; }
    const std::vector<Edge> &edges() const { return m_edges; }

    QSize sizeHint() const override { return {640, 420}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    int nodeIndex(const QString &key, const QString &label, bool reporting);

    std::vector<Node> m_nodes;
    std::vector<Edge> m_edges;
};

} // namespace monitor

// Messages per second per type over the last minute, one line per type.
#pragma once

#include "traffic.h"

#include <QWidget>

namespace monitor {

class RateChart : public QWidget
{
    Q_OBJECT

public:
    explicit RateChart(QWidget *parent = nullptr);
    void refresh(const Traffic &traffic);
    QSize sizeHint() const override { return {480, 200}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    std::map<TypeKey, std::deque<double>> m_history;
};

} // namespace monitor

package web

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/allot-project/allot"
)

// chartDays is how far back the seat chart of a product goes.
const chartDays = 90

// chart is a product's assigned and total licenses per day over the last
// chartDays, drawn server-side as SVG polylines.
type chart struct {
	Assigned, Total []int // one value per day at its end, oldest first, the last today's
	From, To        time.Time
	Max             int
}

// Geometry of the chart's SVG, in user units.
const (
	chartWidth, chartHeight = 600, 160
	chartLeft, chartTop     = 48, 10
	chartBottom             = 140
)

// seatChart draws a product's last chartDays (seatCharts for one).
func (h *Handler) seatChart(ctx context.Context, p allot.Principal, sku *allot.SubscribedSKU) (*chart, error) {
	charts, err := h.seatCharts(ctx, p, []*allot.SubscribedSKU{sku})
	return charts[sku.SKU.ID], err
}

// seatCharts draws the last chartDays of each product of skus from its
// seat days (allot.SeatsByDay: today's counters, each day's change undone
// going back), read once for all of them. Nil when the visitor may not
// read the audit log they come from.
func (h *Handler) seatCharts(ctx context.Context, p allot.Principal, skus []*allot.SubscribedSKU) (map[string]*chart, error) {
	if h.svc.Seats == nil || !p.Can(allot.ActionReadAudit) {
		return nil, nil
	}
	now := h.now().UTC()
	today := allot.DayOf(now)
	from := today.AddDate(0, 0, 1-chartDays)
	days, err := h.svc.Seats.FindSeatDays(ctx, p, from)
	if err != nil {
		return nil, err
	}
	bySKU := map[string][]allot.SeatDay{}
	for _, d := range days {
		bySKU[d.SKUID] = append(bySKU[d.SKUID], d)
	}
	charts := make(map[string]*chart, len(skus))
	for _, sku := range skus {
		c := &chart{Assigned: make([]int, chartDays), Total: make([]int, chartDays), To: today, From: from}
		for i, s := range allot.SeatsByDay(allot.Seats{Assigned: sku.Consumed, Total: sku.Total()}, bySKU[sku.SKU.ID], now, chartDays) {
			c.set(i, s)
		}
		charts[sku.SKU.ID] = c
	}
	return charts, nil
}

// set records the seats at the end of day i.
func (c *chart) set(i int, s allot.Seats) {
	c.Assigned[i], c.Total[i] = max(s.Assigned, 0), max(s.Total, 0)
	c.Max = max(c.Max, c.Assigned[i], c.Total[i])
}

// points writes a series as an SVG polyline's points.
func (c *chart) points(vals []int) string {
	var b strings.Builder
	top := max(c.Max, 1)
	for i, v := range vals {
		x := chartLeft + (chartWidth-chartLeft-8)*i/max(len(vals)-1, 1)
		y := chartBottom - (chartBottom-chartTop)*v/top
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(x) + "," + strconv.Itoa(y))
	}
	return b.String()
}

// AssignedPoints are the assigned line's points.
func (c *chart) AssignedPoints() string { return c.points(c.Assigned) }

// TotalPoints are the total line's points.
func (c *chart) TotalPoints() string { return c.points(c.Total) }

// TodayAssigned is today's assigned licenses, for the chart's description.
func (c *chart) TodayAssigned() int { return c.Assigned[len(c.Assigned)-1] }

// TodayTotal is today's total licenses, for the chart's description.
func (c *chart) TodayTotal() int { return c.Total[len(c.Total)-1] }

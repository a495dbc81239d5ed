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

// maxChartEvents bounds the audit events one page's charts read; past it
// the charts' older days repeat the oldest value known.
const maxChartEvents = 50_000

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

// seatChart rebuilds a product's last chartDays from the audit log
// (seatCharts for one product, reading only its events).
func (h *Handler) seatChart(ctx context.Context, p allot.Principal, sku *allot.SubscribedSKU) (*chart, error) {
	charts, err := h.seatCharts(ctx, p, []*allot.SubscribedSKU{sku}, sku.SKU.ID)
	return charts[sku.SKU.ID], err
}

// seatCharts rebuilds the last chartDays of each product of skus from the
// audit log, walking back from today's counters and undoing each event
// (allot.Seats.Before). The log is read once for all of them, newest
// first, in pages (filtered by skuID when not ""), so a page of 200
// products costs a few queries, not one per product. Nil when the visitor
// may not read the audit log.
func (h *Handler) seatCharts(ctx context.Context, p allot.Principal, skus []*allot.SubscribedSKU, skuID string) (map[string]*chart, error) {
	if !p.Can(allot.ActionReadAudit) {
		return nil, nil
	}
	now := h.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	from := today.AddDate(0, 0, 1-chartDays)
	walks := make(map[string]*chartWalk, len(skus))
	for _, sku := range skus {
		c := &chart{Assigned: make([]int, chartDays), Total: make([]int, chartDays), To: today, From: from}
		walks[sku.SKU.ID] = &chartWalk{c: c, cur: allot.Seats{Assigned: sku.Consumed, Total: sku.Total()}, day: chartDays - 1}
	}
	f := allot.AuditFilter{SKUID: skuID, Since: from, Limit: allot.MaxPage, Bare: true}
	for read := 0; read < maxChartEvents; {
		events, err := h.svc.Audit.FindAuditEvents(ctx, p, f)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			if w := walks[e.SKUID]; w != nil {
				w.undo(e)
			}
		}
		read += len(events)
		if len(events) < f.Limit {
			break
		}
		f.BeforeID = events[len(events)-1].ID
	}
	charts := make(map[string]*chart, len(walks))
	for id, w := range walks {
		for ; w.day >= 0; w.day-- {
			w.c.set(w.day, w.cur)
		}
		charts[id] = w.c
	}
	return charts, nil
}

// chartWalk is one product's chart being rebuilt, newest day first.
type chartWalk struct {
	c   *chart
	cur allot.Seats // the seats after the events not yet undone
	day int         // the newest day whose end value is not yet set
}

// undo steps back over event e: the days that ended after it get the
// seats from before the events that came after them.
func (w *chartWalk) undo(e *allot.AuditEvent) {
	for ; w.day >= 0 && e.At.Before(w.c.From.AddDate(0, 0, w.day+1)); w.day-- {
		w.c.set(w.day, w.cur) // the end of day comes after e: its value includes e
	}
	w.cur = w.cur.Before(e)
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

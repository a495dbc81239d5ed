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

// maxChartEvents bounds the audit events one chart reads; past it the
// chart's older days repeat the oldest value known.
const maxChartEvents = 20_000

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

// seatChart rebuilds a product's last chartDays from the audit log,
// walking back from today's counters and undoing each event
// (allot.Seats.Before). Nil when the visitor may not
// read the audit log.
func (h *Handler) seatChart(ctx context.Context, p allot.Principal, sku *allot.SubscribedSKU) (*chart, error) {
	if !p.Can(allot.ActionReadAudit) {
		return nil, nil
	}
	now := h.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	c := &chart{Assigned: make([]int, chartDays), Total: make([]int, chartDays), To: today, From: today.AddDate(0, 0, 1-chartDays)}
	cur, day := allot.Seats{Assigned: sku.Consumed, Total: sku.Total()}, chartDays-1
	f := allot.AuditFilter{SKUID: sku.SKU.ID, Since: c.From, Limit: allot.MaxPage}
	for read := 0; read < maxChartEvents; {
		events, err := h.svc.Audit.FindAuditEvents(ctx, p, f)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			for ; day >= 0 && e.At.Before(c.From.AddDate(0, 0, day+1)); day-- {
				c.set(day, cur) // the end of day comes after e: its value includes e
			}
			cur = cur.Before(e)
		}
		read += len(events)
		if len(events) < f.Limit {
			break
		}
		f.BeforeID = events[len(events)-1].ID
	}
	for ; day >= 0; day-- {
		c.set(day, cur)
	}
	return c, nil
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

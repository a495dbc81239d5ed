package loadgen

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	r := &Result{}
	for i := 1; i <= 1000; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		name string
		q    float64
		want time.Duration
	}{
		{"p50", 0.50, 500 * time.Millisecond},
		{"p99", 0.99, 990 * time.Millisecond},
		{"p99.9", 0.999, 999 * time.Millisecond},
		{"max", 1, 1000 * time.Millisecond},
		{"tiny", 0.0001, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Quantile(tt.q); got != tt.want {
				t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	if got := (&Result{}).Quantile(0.99); got != 0 {
		t.Errorf("Quantile of no latencies = %v, want 0", got)
	}
}

func TestClosedCountsOpsAndErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fail") != "" {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	c := NewClient(4, http.Header{"Authorization": {"Bearer x"}})
	defer c.Close()
	var sent atomic.Int64
	res := Closed{Workers: 4, Duration: 200 * time.Millisecond, Warmup: 50 * time.Millisecond}.Run(context.Background(), func(ctx context.Context, w *Worker) error {
		url := srv.URL
		if sent.Add(1)%10 == 0 {
			url += "?fail=1"
		}
		status, body, err := c.Do(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		return Expect(status, body, http.StatusOK)
	})
	if res.Ops == 0 || int64(len(res.Latencies)) != res.Ops {
		t.Fatalf("ops = %d with %d latencies, want > 0 and equal", res.Ops, len(res.Latencies))
	}
	if res.Errors == 0 || res.Errors > res.Ops/5 {
		t.Errorf("errors = %d of %d ops, want about a tenth", res.Errors, res.Ops)
	}
	var se *StatusError
	if !errors.As(res.FirstErr, &se) || se.Status != http.StatusTeapot {
		t.Errorf("FirstErr = %v, want a StatusError 418", res.FirstErr)
	}
	if res.Elapsed < 150*time.Millisecond || res.Elapsed > time.Second {
		t.Errorf("Elapsed = %v, want about 200ms", res.Elapsed)
	}
	if res.Throughput() <= 0 || res.Quantile(0.5) <= 0 || res.Max() < res.Quantile(0.99) {
		t.Errorf("throughput %v, p50 %v, p99 %v, max %v: inconsistent", res.Throughput(), res.Quantile(0.5), res.Quantile(0.99), res.Max())
	}
}

// TestOpenChargesStalls checks that the open loop sends at its rate and
// charges a stall of the server to every request scheduled during it,
// which a closed loop would hide.
func TestOpenChargesStalls(t *testing.T) {
	var n atomic.Int64
	res := Open{Rate: 1000, Duration: 500 * time.Millisecond, Workers: 1}.Run(context.Background(), func(ctx context.Context, w *Worker) error {
		if n.Add(1) == 100 {
			time.Sleep(100 * time.Millisecond) // one stall with a single worker: ~100 requests wait
		}
		return nil
	})
	if res.Ops != 500 || res.Dropped != 0 {
		t.Fatalf("ops = %d, dropped = %d; want 500 and 0", res.Ops, res.Dropped)
	}
	if res.Max() < 100*time.Millisecond {
		t.Errorf("max latency = %v, want the 100ms stall", res.Max())
	}
	// About 100 requests were scheduled during the stall: with latencies
	// counted from the schedule, more than 10% of them exceed 10ms.
	if p90 := res.Quantile(0.90); p90 < 10*time.Millisecond {
		t.Errorf("p90 = %v; the requests delayed by the stall are not charged", p90)
	}
	if res.Elapsed < 490*time.Millisecond {
		t.Errorf("elapsed %v, shorter than the schedule", res.Elapsed)
	}
}

func TestOpenDropsAfterGrace(t *testing.T) {
	res := Open{Rate: 200, Duration: 100 * time.Millisecond, Workers: 1, Grace: 50 * time.Millisecond}.Run(context.Background(), func(ctx context.Context, w *Worker) error {
		time.Sleep(40 * time.Millisecond)
		return nil
	})
	if res.Dropped == 0 || res.Ops+res.Dropped != 20 {
		t.Errorf("ops %d + dropped %d, want 20 with some dropped", res.Ops, res.Dropped)
	}
}

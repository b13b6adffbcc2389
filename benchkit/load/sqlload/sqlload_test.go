package sqlload

import (
	"database/sql"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in      string
		want    Query
		wantErr bool
	}{
		{in: "sel=SELECT 1", want: Query{Name: "sel", SQL: "SELECT 1"}},
		{in: "ins!=INSERT INTO t VALUES (1)", want: Query{Name: "ins", SQL: "INSERT INTO t VALUES (1)", Write: true}},
		{in: "ins!*3=INSERT INTO t VALUES (1)", want: Query{Name: "ins", SQL: "INSERT INTO t VALUES (1)", Write: true, Weight: 3}},
		{in: "get*2=SELECT a=b FROM t", want: Query{Name: "get", SQL: "SELECT a=b FROM t", Weight: 2}},
		{in: "SELECT 1", wantErr: true},
		{in: "=SELECT 1", wantErr: true},
		{in: "a=", wantErr: true},
		{in: "a*0=SELECT 1", wantErr: true},
		{in: "a*-1=SELECT 1", wantErr: true},
		{in: "a*1x=SELECT 1", wantErr: true},
		{in: "a*99999999999=SELECT 1", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseQuery(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseQuery(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" && !tt.wantErr {
			t.Errorf("ParseQuery(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestCheckMix(t *testing.T) {
	cum, err := checkMix([]Query{{Name: "a", SQL: "x", Weight: 3}, {Name: "b", SQL: "y"}, {Name: "c", SQL: "z", Weight: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{3, 4, 6}, cum); diff != "" {
		t.Errorf("cumulative weights (-want +got):\n%s", diff)
	}
	for _, bad := range [][]Query{
		nil,
		{{Name: "", SQL: "x"}},
		{{Name: "a", SQL: "x"}, {Name: "a", SQL: "y"}},
		{{Name: "a", SQL: "  "}},
		{{Name: "a", SQL: "x", Weight: -1}},
		{{Name: "a", SQL: "x", Weight: maxWeight + 1}},
	} {
		if _, err := checkMix(bad); err == nil {
			t.Errorf("checkMix(%+v) accepted", bad)
		}
	}
}

// TestPickFollowsWeights draws from a 3:1 mix and checks the shares.
func TestPickFollowsWeights(t *testing.T) {
	tg, err := NewTarget(nil, TargetConfig{Queries: []Query{{Name: "a", SQL: "x", Weight: 3}, {Name: "b", SQL: "y"}}})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := tg.Open(t.Context())
	var n [2]int
	const draws = 40000
	for range draws {
		n[s.(*session).pick()]++
	}
	// 3:1 gives 30000:10000; 5 standard deviations of the binomial
	// (sqrt(40000·0.75·0.25) ≈ 87) is 433.
	if d := n[0] - 30000; d < -433 || d > 433 {
		t.Errorf("drew a %d and b %d times of %d; want 3:1", n[0], n[1], draws)
	}
}

// Recorded from a pgx run: 16 clients over a pool of MaxOpen 4,
// sampled one second apart.
var (
	sampleA = PoolSample{At: 0, Opened: 4, ConnectFailed: 0, Queries: 0, Stats: sql.DBStats{
		MaxOpenConnections: 4, OpenConnections: 4, InUse: 4, Idle: 0,
		WaitCount: 120, WaitDuration: 300 * time.Millisecond, MaxIdleClosed: 1}}
	sampleB = PoolSample{At: time.Second, Opened: 6, ConnectFailed: 1, Queries: 10000, PeakInUse: 4, Stats: sql.DBStats{
		MaxOpenConnections: 4, OpenConnections: 3, InUse: 2, Idle: 1,
		WaitCount: 8120, WaitDuration: 2300 * time.Millisecond, MaxIdleClosed: 3, MaxLifetimeClosed: 2}}
)

func TestWindow(t *testing.T) {
	got := window(sampleA, sampleB)
	want := PoolWindow{
		Start: 0, End: time.Second, Queries: 10000, Opened: 2, ConnectFailed: 1, ReuseRate: 0.9998,
		WaitCount: 8000, WaitDuration: 2 * time.Second, MaxIdleClosed: 2, MaxLifetimeClosed: 2,
		Open: 3, InUse: 2, Idle: 1, MaxOpen: 4, MaxInUse: 4,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("window (-want +got):\n%s", diff)
	}
	// Counters that appear to go backwards give zero, not negative counts.
	back := window(sampleB, sampleA)
	if back.Queries != 0 || back.Opened != 0 || back.WaitCount != 0 || back.WaitDuration != 0 || back.ReuseRate != 0 {
		t.Errorf("backwards window: %+v", back)
	}
}

func TestPoolReport(t *testing.T) {
	r := poolReport([]PoolSample{sampleA, sampleB}, nil, true)
	if len(r.Windows) != 1 || r.Run.Queries != 10000 || r.MaxOpenConns != 4 {
		t.Errorf("report %+v", r)
	}
	if r.Run.Acquire == nil || r.Windows[0].Acquire == nil {
		t.Errorf("acquire summaries missing though measured")
	}
	if r := poolReport([]PoolSample{sampleA}, nil, false); len(r.Windows) != 0 || r.Run.Acquire != nil {
		t.Errorf("single sample: %+v", r)
	}
}

func TestGrid(t *testing.T) {
	got := Grid([]int{1, 4}, []int{0, 2, 4}, nil)
	want := []PoolSetting{{1, 0, 0}, {4, 0, 0}, {4, 2, 0}, {4, 4, 0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Grid (-want +got):\n%s", diff)
	}
	if n := len(Grid([]int{0, 2}, []int{1}, []time.Duration{0, time.Second})); n != 4 {
		t.Errorf("Grid with lifetimes: %d settings, want 4", n)
	}
}

func TestBest(t *testing.T) {
	rows := []SweepRow{
		{Setting: PoolSetting{MaxOpen: 1}, Connections: 1, RequestsPerSec: 900, P99: 9 * time.Millisecond},
		{Setting: PoolSetting{MaxOpen: 4}, Connections: 4, RequestsPerSec: 3000, P99: 2 * time.Millisecond, MeetsTarget: true},
		{Setting: PoolSetting{MaxOpen: 4, MaxIdle: 4}, Connections: 4, RequestsPerSec: 3500, P99: 2 * time.Millisecond, MeetsTarget: true},
		{Setting: PoolSetting{MaxOpen: 8}, Connections: 8, RequestsPerSec: 4000, P99: time.Millisecond, MeetsTarget: true},
	}
	if got := best(rows); got != 2 {
		t.Errorf("best = %d, want 2 (fewest connections, then throughput)", got)
	}
	if got := best(rows[:1]); got != -1 {
		t.Errorf("best of none meeting = %d, want -1", got)
	}
}

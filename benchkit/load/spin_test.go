//go:build linux

package load

import (
	"slices"
	"testing"
)

func TestSpinner(t *testing.T) {
	s := newSpinner()
	if w := s.window(); w != spinMax {
		t.Fatalf("a new window is %d ns, want spinMax %d", w, spinMax)
	}
	// Misses halve the window until it closes below spinMin.
	var got []int64
	for range 4 {
		s.missed()
		got = append(got, s.window())
	}
	want := []int64{spinMax / 2, spinMax / 4, spinMax / 8, 0}
	if !slices.Equal(got, want) {
		t.Fatalf("windows after misses: %v, want %v", got, want)
	}
	// Closed, it opens at spinMin once every spinProbe waits.
	opened := 0
	for i := 1; i < 3*spinProbe; i++ {
		if w := s.window(); w != 0 {
			if w != spinMin || (i+1)%spinProbe != 0 {
				t.Fatalf("wait %d: window %d ns, want spinMin on every %dth wait only", i, w, spinProbe)
			}
			opened++
			s.missed() // the probe catches nothing: still closed
		}
	}
	if opened != 3 {
		t.Errorf("the closed window opened %d times in %d waits, want 3", opened, 3*spinProbe)
	}
	// A probe that catches an event reopens the window at spinMin; catches
	// double it up to spinMax.
	for s.window() == 0 {
	}
	got = got[:0]
	for range 5 {
		s.caught()
		got = append(got, s.window())
	}
	want = []int64{spinMin, 2 * spinMin, 4 * spinMin, spinMax, spinMax}
	if !slices.Equal(got, want) {
		t.Errorf("windows after catches: %v, want %v", got, want)
	}
}

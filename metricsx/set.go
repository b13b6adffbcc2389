package metricsx

import (
	"runtime/metrics"
	"sync"
)

// A desc describes one metric of a snapshot.
type desc struct {
	name        string
	kind        metrics.ValueKind
	cumulative  bool
	description string
}

// A metricSet is the list of metrics a snapshot holds, in order, with an
// index by name that also answers for aliases. Snapshots read from the same
// runtime share one set, so that windows between them compare positions
// instead of looking names up.
type metricSet struct {
	descs []desc
	index map[string]int

	// bucketJSON caches, per position, the JSON of a histogram's bucket
	// boundaries: formatting floats is most of the cost of AppendJSON,
	// and the runtime's boundaries never change.
	mu         sync.Mutex
	bucketJSON map[int]bucketEnc
}

// A bucketEnc is the JSON of one Buckets slice, identified by its first
// element's address and its length (Buckets are never modified in place).
type bucketEnc struct {
	first *float64
	n     int
	json  []byte
}

// appendBucketsJSON appends the JSON array of buckets, the boundaries of
// the histogram at position i, from the cache when it holds them.
func (set *metricSet) appendBucketsJSON(b []byte, i int, buckets []float64) []byte {
	if len(buckets) == 0 {
		return append(b, "[]"...)
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	if e, ok := set.bucketJSON[i]; ok && e.first == &buckets[0] && e.n == len(buckets) {
		return append(b, e.json...)
	}
	start := len(b)
	b = append(b, '[')
	for j, f := range buckets {
		if j > 0 {
			b = append(b, ',')
		}
		b = appendJSONFloat(b, f)
	}
	b = append(b, ']')
	if set.bucketJSON == nil {
		set.bucketJSON = make(map[int]bucketEnc)
	}
	set.bucketJSON[i] = bucketEnc{first: &buckets[0], n: len(buckets), json: append([]byte(nil), b[start:]...)}
	return b
}

// aliases groups names that mean the same metric in different Go versions.
// A lookup by any name in a group finds whichever member the snapshot has,
// preferring the snapshot's own metric of that exact name.
//
// Only true renames belong here: the value must keep its kind and meaning.
//   - /gc/pauses:seconds (Go 1.16) was deprecated in Go 1.22 for
//     /sched/pauses/total/gc:seconds, which records the same stop-the-world
//     pauses (runtime/metrics/description.go says so in both entries).
var aliases = [][]string{
	{"/sched/pauses/total/gc:seconds", "/gc/pauses:seconds"},
}

// newMetricSet indexes descs, adding an alias entry for each absent member
// of an alias group of which some member is present.
func newMetricSet(descs []desc) *metricSet {
	set := &metricSet{descs: descs, index: make(map[string]int, len(descs)+len(aliases))}
	for i, d := range descs {
		if _, dup := set.index[d.name]; !dup {
			set.index[d.name] = i
		}
	}
	for _, group := range aliases {
		at := -1
		for _, name := range group {
			if i, ok := set.index[name]; ok {
				at = i
				break
			}
		}
		if at < 0 {
			continue
		}
		for _, name := range group {
			if _, ok := set.index[name]; !ok {
				set.index[name] = at
			}
		}
	}
	return set
}

// lookup returns the position of name, or an alias of it, in set.
func (set *metricSet) lookup(name string) (int, bool) {
	if set == nil {
		return 0, false
	}
	i, ok := set.index[name]
	return i, ok
}

// sameNames reports whether set lists exactly names, in order.
func (set *metricSet) sameDescs(descs []desc) bool {
	if set == nil || len(set.descs) != len(descs) {
		return false
	}
	for i := range descs {
		if set.descs[i] != descs[i] {
			return false
		}
	}
	return true
}

// runtimeSet is the set of every metric this runtime supports, from
// metrics.All, built once: metrics.All allocates its result on every call.
var runtimeSet = sync.OnceValue(func() *metricSet {
	all := metrics.All()
	descs := make([]desc, 0, len(all))
	for _, d := range all {
		switch d.Kind {
		case metrics.KindUint64, metrics.KindFloat64, metrics.KindFloat64Histogram:
		default:
			// A kind newer than this package: skip it rather than guess
			// how to read or export it.
			continue
		}
		descs = append(descs, desc{name: d.Name, kind: d.Kind, cumulative: d.Cumulative, description: d.Description})
	}
	return newMetricSet(descs)
})

package metricsx

import (
	"encoding/json"
	"expvar"
	"fmt"
	"sync"
)

var expvarMu sync.Mutex

// PublishExpvar publishes, under name in package expvar (served at
// /debug/vars), a variable whose value is a fresh snapshot of this
// process in the JSON form the package documentation describes (# JSON).
// Unlike expvar's own "memstats", reading it does not stop the world.
//
// expvar.Publish panics when a name is taken; PublishExpvar returns an
// error instead (for names published by other code too, unless that code
// publishes the same name concurrently).
func PublishExpvar(name string) error {
	expvarMu.Lock()
	defer expvarMu.Unlock()
	if expvar.Get(name) != nil {
		return fmt.Errorf("metricsx: expvar %q is already published", name)
	}
	expvar.Publish(name, expvar.Func(func() any {
		var s Snapshot
		s.Read()
		return json.RawMessage(s.AppendJSON(nil))
	}))
	return nil
}

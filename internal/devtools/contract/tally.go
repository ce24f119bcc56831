package contract

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Tally counts the checks of this process.
type Tally struct {
	Responses, Events int
	// Mismatches are the responses and events the document does not
	// describe.
	Mismatches int
	// Gateway are the answers of a gateway in front of the API, which the
	// document does not describe (see Gateway): not checked.
	Gateway int
	// Seen counts the responses checked by operation and status
	// ("chat-send 200").
	Seen map[string]int
}

func (t *Tally) seen(op string, status int) {
	if t.Seen == nil {
		t.Seen = map[string]int{}
	}
	t.Seen[fmt.Sprintf("%s %d", op, status)]++
}

// String is the line the suites print: "OpenAPI: 12 responses and 34
// events validated, 0 mismatches".
func (t Tally) String() string {
	s := fmt.Sprintf("OpenAPI: %d responses and %d events validated, %d mismatches", t.Responses, t.Events, t.Mismatches)
	if t.Gateway > 0 {
		s += fmt.Sprintf(" (%d answers of the gateway itself, not the API's, not checked)", t.Gateway)
	}
	return s
}

var tally struct {
	sync.Mutex
	t Tally
}

func count(f func(*Tally)) {
	tally.Lock()
	defer tally.Unlock()
	f(&tally.t)
}

// Totals are the checks of this process so far.
func Totals() Tally {
	tally.Lock()
	defer tally.Unlock()
	t := tally.t
	t.Seen = maps.Clone(t.Seen)
	return t
}

var writing sync.Mutex

// TallyDir is the variable naming the directory WriteTally writes to.
const TallyDir = "OPENAPI_TALLY"

// WriteTally writes Totals, when OPENAPI_TALLY names a directory, to a file
// of this process there (replacing what it wrote before), for `make test`
// to add up: lines of a name and a count ("responses 12", "seen chat-send
// 200 3"). A test calls it when it is done with the checker (apitest, in
// each Env's cleanup); the last call leaves the process's totals.
func WriteTally() error {
	dir := os.Getenv(TallyDir)
	if dir == "" {
		return nil
	}
	writing.Lock() // the last to write has the latest totals
	defer writing.Unlock()
	t := Totals()
	var b strings.Builder
	fmt.Fprintf(&b, "responses %d\nevents %d\nmismatches %d\ngateway %d\n", t.Responses, t.Events, t.Mismatches, t.Gateway)
	for _, k := range slices.Sorted(maps.Keys(t.Seen)) {
		fmt.Fprintf(&b, "seen %s %d\n", k, t.Seen[k])
	}
	name := filepath.Join(dir, fmt.Sprintf("%s.%d", filepath.Base(os.Args[0]), os.Getpid()))
	tmp, err := os.CreateTemp(dir, ".tally-*")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

package recorder

import "slices"

// Live returns the ids of the recordings being recorded now, sorted.
func (e *Engine) Live() []string {
	e.mu.Lock()
	ids := make([]string, 0, len(e.live))
	for id := range e.live {
		ids = append(ids, id)
	}
	e.mu.Unlock()
	slices.Sort(ids)
	return ids
}

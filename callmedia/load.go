package callmedia

// Load returns how many participants the hub holds now, over every call:
// the load a node advertises to the others sharing its database.
func (h *Hub) Load() int {
	h.mu.Lock()
	calls := make([]*call, 0, len(h.calls))
	for _, c := range h.calls {
		calls = append(calls, c)
	}
	h.mu.Unlock()
	n := 0
	for _, c := range calls {
		n += len(c.present())
	}
	return n
}

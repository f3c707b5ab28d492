package benchlive

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A server recording video runs child processes (an ffmpeg VP8 decoder
// per participant, an H.264 and an AAC encoder per recording), whose CPU
// and memory are the recording's cost too: with --video the server is
// measured as its process tree.

// procStat is what the benchmark reads of one /proc/<pid>/stat.
type procStat struct {
	pid, ppid int
	own       time.Duration // utime + stime: all its threads
	children  time.Duration // cutime + cstime: its reaped children's
}

// readProcStat reads /proc/<pid>/stat. The command name (field 2) may hold
// spaces; the fields after its closing parenthesis are space-separated.
func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	// After the name: state (field 3), ppid (4), …, utime (14), stime
	// (15), cutime (16), cstime (17).
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	st := procStat{pid: pid}
	st.ppid, _ = strconv.Atoi(f[1])
	var ticks [4]int64
	for k, v := range f[11:15] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("/proc/%d/stat: bad times", pid)
		}
		ticks[k] = n
	}
	st.own = time.Duration(ticks[0]+ticks[1]) * time.Second / clockTicks
	st.children = time.Duration(ticks[2]+ticks[3]) * time.Second / clockTicks
	return st, nil
}

// procTree returns pid and its live descendants.
func procTree(pid int) ([]procStat, error) {
	root, err := readProcStat(pid)
	if err != nil {
		return nil, err
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	children := map[int][]procStat{}
	for _, d := range dirs {
		n, err := strconv.Atoi(filepath.Base(d))
		if err != nil || n == pid {
			continue
		}
		if st, err := readProcStat(n); err == nil { // it may have exited meanwhile
			children[st.ppid] = append(children[st.ppid], st)
		}
	}
	tree := []procStat{root}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i].pid]...)
	}
	return tree, nil
}

// procTreeCPU returns the CPU time that pid and its descendants have used,
// those that have exited included (their parents' cutime and cstime once
// reaped).
func procTreeCPU(pid int) (time.Duration, error) {
	tree, err := procTree(pid)
	if err != nil {
		return 0, err
	}
	var sum time.Duration
	for _, p := range tree {
		sum += p.own + p.children
	}
	return sum, nil
}

// procTreeRSS returns the resident set sizes of pid and its live
// descendants, summed.
func procTreeRSS(pid int) (int64, error) {
	tree, err := procTree(pid)
	if err != nil {
		return 0, err
	}
	var sum int64
	for i, p := range tree {
		rss, err := procRSS(p.pid)
		if err != nil {
			if i == 0 {
				return 0, err
			}
			continue // exited meanwhile
		}
		sum += rss
	}
	return sum, nil
}

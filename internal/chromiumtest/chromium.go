// Package chromiumtest runs headless Chromium in tests: a page opened with
// fake media devices (Chromium's fake microphone and camera, or files
// given by flags) and its DevTools endpoint on 127.0.0.1, stopped when the
// test ends. Tests that run it belong in a loopback-only network
// namespace (`unshare -n`).
package chromiumtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Start launches chromium (a path) headless on pageURL with fake media
// devices granted without a prompt, a profile under dir and extra flags
// (--use-file-for-fake-audio-capture=…, --use-file-for-fake-video-capture=…),
// and returns its DevTools base URL (http://127.0.0.1:PORT). Its whole
// process group is killed when the test ends; the log's tail is shown if
// the test failed.
func Start(t testing.TB, chromium, dir, pageURL string, extra ...string) string {
	t.Helper()
	profile := filepath.Join(dir, "profile")
	args := append([]string{
		"--headless=new", "--no-sandbox", "--disable-gpu",
		"--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
		"--user-data-dir=" + profile,
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--remote-allow-origins=http://127.0.0.1",
	}, extra...)
	cmd := exec.Command(chromium, append(args, pageURL)...)
	logPath := filepath.Join(dir, "chromium.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("chromium log (tail):\n%s", b[max(0, len(b)-3000):])
			}
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort"))
		if err == nil {
			port, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
			if err == nil && port > 0 {
				return fmt.Sprintf("http://127.0.0.1:%d", port)
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("Chromium wrote no DevTools port within 15 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

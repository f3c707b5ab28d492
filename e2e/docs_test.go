package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// outsideCitation matches references to documents that are not in the
// repository (the project's private design notes and research files).
var outsideCitation = regexp.MustCompile(`shared/reference|DESIGN(\.md)? ?§|reference ?§|\bDESIGN\.md\b|\bSTYLE\.md\b`)

// markdownLink matches the target of a markdown link.
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocsAreSelfContained keeps code comments and docs citing only what
// is in the repository or public pages: no reference to documents outside
// it, and every relative link of a markdown file names a file that exists.
func TestDocsAreSelfContained(t *testing.T) {
	root := moduleRoot(t)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(path)
		if ext != ".go" && ext != ".md" && ext != ".mjs" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel == filepath.Join("e2e", "docs_test.go") {
			return nil // the patterns above
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := outsideCitation.FindString(line); m != "" {
				t.Errorf("%s:%d cites %q, a document outside the repository; cite docs/ or a public page instead", rel, i+1, m)
			}
			if ext != ".md" {
				continue
			}
			for _, m := range markdownLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				target, _, _ = strings.Cut(target, "#")
				if _, err := os.Stat(filepath.Join(filepath.Dir(path), target)); err != nil {
					t.Errorf("%s:%d links to %s, which is not in the repository", rel, i+1, m[1])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

package siprec

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits of a metadata document: beyond them it is refused, so that a
// hostile body costs bounded memory and time.
const (
	maxMetadataBytes = 256 << 10
	maxDepth         = 32
	maxElements      = 20000
)

// node is one element of a parsed XML document: its local name (any
// namespace: the dialects and vendor extensions differ there), its
// attributes by local name, its children and its character data.
type node struct {
	name     string
	attrs    map[string]string
	children []*node
	text     strings.Builder
}

// parseTree parses an XML document into a tree.
func parseTree(b []byte) (*node, error) {
	if len(b) > maxMetadataBytes {
		return nil, fmt.Errorf("the document has %d bytes, more than %d", len(b), maxMetadataBytes)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "us-ascii", "iso-8859-1", "latin1":
			return r, nil // ASCII in practice; names and ids are read as bytes
		}
		return nil, fmt.Errorf("charset %q", charset)
	}
	var root *node
	var stack []*node
	count := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if count++; count > maxElements {
				return nil, fmt.Errorf("more than %d elements", maxElements)
			}
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("elements nested deeper than %d", maxDepth)
			}
			n := &node{name: t.Name.Local, attrs: map[string]string{}}
			for _, a := range t.Attr {
				n.attrs[a.Name.Local] = strings.TrimSpace(a.Value)
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("more than one root element")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// child returns n's first child named name, or nil.
func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// value returns the trimmed text of n's first child named name, or "".
func (n *node) value(name string) string {
	if c := n.child(name); c != nil {
		return strings.TrimSpace(c.text.String())
	}
	return ""
}

// values returns the ids n's children named name list: their own text, or
// the text of their <id> children (the pre-RFC form <send><id>…</id></send>).
func (n *node) values(name string) []string {
	var out []string
	for _, c := range n.children {
		if c.name != name {
			continue
		}
		if t := strings.TrimSpace(c.text.String()); t != "" {
			out = append(out, t)
		}
		for _, id := range c.children {
			if id.name == "id" {
				if t := strings.TrimSpace(id.text.String()); t != "" {
					out = append(out, t)
				}
			}
		}
	}
	return out
}

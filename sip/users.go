package sip

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// DefaultRealm is the digest realm of a user whose line names none.
const DefaultRealm = "callrec"

// User is a phone, PBX or trunk that authenticates to the endpoint with
// digest credentials (RFC 8760, RFC 2617): its REGISTERs and INVITEs.
type User struct {
	Name     string
	Password string
	Realm    string // DefaultRealm when empty
}

// ParseUsers reads a users file: one user:password[:realm] a line; blank
// lines and lines starting with # are skipped. A password cannot hold a
// colon; a realm can. The same user twice is an error.
func ParseUsers(data []byte) ([]User, error) {
	var users []User
	seen := map[string]bool{}
	s := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, ":", 3)
		if len(f) < 2 || f[0] == "" || f[1] == "" {
			return nil, fmt.Errorf("line %d: want user:password[:realm]", n)
		}
		u := User{Name: f[0], Password: f[1], Realm: DefaultRealm}
		if len(f) == 3 {
			if u.Realm = f[2]; u.Realm == "" {
				return nil, fmt.Errorf("line %d: empty realm (leave out the last colon for %q)", n, DefaultRealm)
			}
		}
		if strings.ContainsAny(u.Name, " \t\"<>@") || strings.ContainsAny(u.Realm, "\"") {
			return nil, fmt.Errorf("line %d: the user may not hold spaces, quotes, <, > or @, nor the realm quotes", n)
		}
		if seen[u.Name] {
			return nil, fmt.Errorf("line %d: user %q given twice", n, u.Name)
		}
		seen[u.Name] = true
		users = append(users, u)
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	return users, nil
}

// LoadUsers reads a users file (ParseUsers). A file without any user is
// an error: it would lock every phone out without saying so.
func LoadUsers(path string) ([]User, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sip: users file: %w", err)
	}
	users, err := ParseUsers(data)
	if err != nil {
		return nil, fmt.Errorf("sip: users file %s: %w", path, err)
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("sip: users file %s names no user", path)
	}
	return users, nil
}

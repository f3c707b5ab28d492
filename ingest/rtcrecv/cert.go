package rtcrecv

import (
	"bytes"
	"crypto"
	_ "crypto/sha1" // a=fingerprint:sha-1, still sent by old clients
	_ "crypto/sha256"
	_ "crypto/sha512" // sha-384 and sha-512
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"strings"

	dtlsfingerprint "github.com/pion/dtls/v3/pkg/crypto/fingerprint"
	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
)

// fingerprint is a certificate fingerprint from an a=fingerprint line.
type fingerprint struct {
	hash  crypto.Hash
	value []byte
}

func parseFingerprint(attr string) (fingerprint, error) {
	alg, value, ok := strings.Cut(strings.TrimSpace(attr), " ")
	if !ok {
		return fingerprint{}, invalidf("no a=fingerprint")
	}
	var h crypto.Hash
	switch strings.ToLower(alg) {
	case "sha-1":
		h = crypto.SHA1
	case "sha-256":
		h = crypto.SHA256
	case "sha-384":
		h = crypto.SHA384
	case "sha-512":
		h = crypto.SHA512
	default:
		return fingerprint{}, invalidf("fingerprint hash %q is not supported", alg)
	}
	raw, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(value), ":", ""))
	if err != nil || len(raw) != h.Size() {
		return fingerprint{}, invalidf("malformed a=fingerprint %q", attr)
	}
	return fingerprint{hash: h, value: raw}, nil
}

// matches reports whether the DER certificate has this fingerprint.
func (f fingerprint) matches(der []byte) bool {
	h := f.hash.New()
	h.Write(der)
	return bytes.Equal(h.Sum(nil), f.value)
}

// errFingerprint is the DTLS handshake's answer to a certificate that is
// not the one the offer announced.
var errFingerprint = errors.New("the DTLS certificate does not match the offer's a=fingerprint")

// identity is the endpoint's DTLS certificate and its fingerprint for the
// answer.
type identity struct {
	cert        tls.Certificate
	fingerprint string
}

func newIdentity() (identity, error) {
	cert, err := selfsign.GenerateSelfSigned()
	if err != nil {
		return identity{}, err
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return identity{}, err
	}
	fp, err := dtlsfingerprint.Fingerprint(leaf, crypto.SHA256)
	if err != nil {
		return identity{}, err
	}
	return identity{cert: cert, fingerprint: strings.ToUpper(fp)}, nil
}

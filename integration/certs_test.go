package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// s2sCertDomains are the domains of the federation tests: one certificate names them all, so
// that every sandbox presents one its peers accept.
var s2sCertDomains = []string{"localhost", "amp.localhost", "remote.test", "amp.remote.test", "plain.test", "amp.plain.test"}

// s2sPEM is a test CA and a certificate it signed for s2sCertDomains, made once per run.
var s2sPEM = sync.OnceValues(func() (map[string][]byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ampd test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: s2sCertDomains,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		"ca.crt":  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		"s2s.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		"s2s.key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
})

// writeS2SCerts writes the CA and the certificate into dir/s2s-tls and returns the Prosody
// `ssl` option that uses them.
func writeS2SCerts(dir string) (string, error) {
	files, err := s2sPEM()
	if err != nil {
		return "", err
	}
	certs := filepath.Join(dir, "s2s-tls")
	if err := os.MkdirAll(certs, 0o755); err != nil {
		return "", err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(certs, name), content, 0o644); err != nil {
			return "", err
		}
	}
	return `ssl = { certificate = "` + filepath.Join(certs, "s2s.crt") + `", key = "` + filepath.Join(certs, "s2s.key") +
		`", cafile = "` + filepath.Join(certs, "ca.crt") + `" }`, nil
}

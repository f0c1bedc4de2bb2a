package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
)

// secretPrefix marks a signing secret, as Standard Webhooks' libraries
// expect it: whsec_ and the base64 of the key.
const secretPrefix = "whsec_"

// secretSize is the size of a new signing key, in bytes: Standard Webhooks
// asks for 24 to 64.
const secretSize = 32

// NewSecret returns a new signing key and its whsec_ form.
func NewSecret() ([]byte, string) {
	key := make([]byte, secretSize)
	rand.Read(key)
	return key, FormatSecret(key)
}

// FormatSecret is the whsec_ form of a signing key, which receivers
// configure.
func FormatSecret(key []byte) string {
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

// Sign is the webhook-signature header of a delivery: "v1," and the base64
// HMAC-SHA256, under key, of "<id>.<timestamp>.<body>".
func Sign(key []byte, id string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	var b strings.Builder
	b.WriteString(id)
	b.WriteByte('.')
	b.WriteString(strconv.FormatInt(timestamp, 10))
	b.WriteByte('.')
	mac.Write([]byte(b.String()))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

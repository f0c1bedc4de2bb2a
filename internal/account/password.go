package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters of docs/api.md (the OWASP minimum): 19 MiB, t=2, p=1. They
// are the cost of every hash unless Config.PasswordCost says otherwise,
// which only tests do (TestPasswordHashFormat).
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// PasswordCost is the argon2id cost of new password hashes; a zero field
// takes the production value above. Each hash records the cost it was made at (a PHC
// string) and is verified at that cost, so that hashes outlive a change of
// cost: TestPasswordHashOfAnyCostVerifies.
type PasswordCost struct {
	MemoryKiB uint32 // memory, in KiB
	Time      uint32 // passes over the memory
	Threads   uint8  // lanes
}

// orDefault returns c with each zero field set to the production value.
func (c PasswordCost) orDefault() PasswordCost {
	if c.MemoryKiB == 0 {
		c.MemoryKiB = argonMemoryKiB
	}
	if c.Time == 0 {
		c.Time = argonTime
	}
	if c.Threads == 0 {
		c.Threads = argonThreads
	}
	return c
}

// hasher runs argon2id with a cap on concurrent hashes, so that a burst of
// logins cannot use more than slots × the cost's memory at once.
type hasher struct {
	cost  PasswordCost
	slots chan struct{}
	// dummy is a hash of a random password, checked against when an email is
	// unknown so that the answer takes as long as for a wrong password.
	dummy string
}

func newHasher(cost PasswordCost, concurrency int) *hasher {
	h := &hasher{cost: cost.orDefault(), slots: make(chan struct{}, concurrency)}
	h.dummy = h.encode(rand.Text())
	return h
}

func (h *hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hasher) release() { <-h.slots }

// hash returns the PHC string of password under a new random salt.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.encode(password), nil
}

func (h *hasher) encode(password string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	c := h.cost
	key := argon2.IDKey([]byte(password), salt, c.Time, c.MemoryKiB, c.Threads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, c.MemoryKiB, c.Time, c.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// verify reports whether password matches the PHC string encoded, using the
// parameters stored in it so that hashes outlive a change of the defaults.
func (h *hasher) verify(ctx context.Context, encoded, password string) (bool, error) {
	var version, memory, time uint32
	var threads uint8
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("account: unknown password hash format")
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("account: unsupported argon2 version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return false, fmt.Errorf("account: bad argon2 parameters: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("account: bad argon2 salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("account: bad argon2 hash: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

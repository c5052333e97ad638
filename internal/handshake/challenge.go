package handshake

import (
	"crypto/rand"
	"math/big"
)

// NumericChallenge returns a fresh random 10-digit challenge like the ones
// Meta sends (no leading zero, so it survives an integer round trip).
func NumericChallenge() string {
	lo := big.NewInt(1_000_000_000)
	n, err := rand.Int(rand.Reader, big.NewInt(9_000_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n.Add(n, lo).String()
}

// AlphaChallenge returns a fresh random non-numeric challenge, to catch
// handlers that parse hub.challenge as an integer.
func AlphaChallenge() string {
	return "wahooks-" + rand.Text()[:16]
}

// RandomWrongToken returns a random verify token that cannot be the configured one.
func RandomWrongToken(configured string) string {
	for {
		t := "wa-hooks-wrong-" + rand.Text()[:12]
		if t != configured {
			return t
		}
	}
}

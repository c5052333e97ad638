package handshake

import (
	"net/url"
	"testing"
)

func TestAnswer(t *testing.T) {
	const token = "s3cret-token"
	tests := []struct {
		name  string
		query string
		want  Verdict
	}{
		{"as Meta sends it", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=s3cret-token", Accepted},
		{"non-numeric challenge is echoed too", "hub.mode=subscribe&hub.challenge=abc-XYZ&hub.verify_token=s3cret-token", Accepted},
		{"wrong token", "hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess", WrongToken},
		{"token prefix is not enough", "hub.mode=subscribe&hub.challenge=1&hub.verify_token=s3cret", WrongToken},
		{"missing token", "hub.mode=subscribe&hub.challenge=1", MissingToken},
		{"empty token", "hub.mode=subscribe&hub.challenge=1&hub.verify_token=", MissingToken},
		{"wrong mode", "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=s3cret-token", WrongMode},
		{"no mode", "hub.challenge=1&hub.verify_token=s3cret-token", WrongMode},
		{"missing challenge", "hub.mode=subscribe&hub.verify_token=s3cret-token", MissingChallenge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			res := Answer(q, token)
			if res.Verdict != tt.want {
				t.Fatalf("verdict = %v, want %v", res.Verdict, tt.want)
			}
			if res.OK() != (tt.want == Accepted) {
				t.Errorf("OK() = %v", res.OK())
			}
			if res.OK() && res.Challenge != q.Get("hub.challenge") {
				t.Errorf("challenge = %q, want the exact hub.challenge", res.Challenge)
			}
			if !res.OK() && res.Challenge != "" {
				t.Errorf("a refused handshake must not echo the challenge, got %q", res.Challenge)
			}
		})
	}
}

func TestAnswerWithoutConfiguredTokenRefusesEverything(t *testing.T) {
	q := url.Values{"hub.mode": {"subscribe"}, "hub.challenge": {"1"}, "hub.verify_token": {""}}
	if Answer(q, "").OK() {
		t.Fatal("an empty configured token must not accept an empty token")
	}
}

package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"app_secrt", "app_secret", 1}, {"addr", "adr", 1}, {"same", "same", 0},
	} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance is not symmetric for %q, %q", tt.a, tt.b)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"app_secret", "verify_token", "serve.addr"}
	for name, want := range map[string]string{
		"app_secrt":    "app_secret",
		"verfy_token":  "verify_token",
		"serve.adr":    "serve.addr",
		"completely":   "",
		"":             "",
		"verify_token": "verify_token",
	} {
		if got := Closest(name, known); got != want {
			t.Errorf("Closest(%q) = %q, want %q", name, got, want)
		}
	}
	if got := Closest("x", nil); got != "" {
		t.Errorf("Closest with no candidates = %q", got)
	}
}

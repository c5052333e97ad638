package signature

import (
	"bytes"
	"testing"
)

// A typical single message, a 24 KB batch and a 3 MB body (Meta's documented maximum).
var benchSizes = []struct {
	name string
	n    int
}{{"1KB", 1 << 10}, {"24KB", 24 << 10}, {"3MB", 3 << 20}}

func BenchmarkSign(b *testing.B) {
	for _, s := range benchSizes {
		body := bytes.Repeat([]byte("x"), s.n)
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				Sign("0123456789abcdef0123456789abcdef", body)
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, s := range benchSizes {
		body := bytes.Repeat([]byte("x"), s.n)
		header := Sign("0123456789abcdef0123456789abcdef", body)
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if !Verify("0123456789abcdef0123456789abcdef", body, header).OK() {
					b.Fatal("mismatch")
				}
			}
		})
	}
}

func BenchmarkVerifier(b *testing.B) {
	v := NewVerifier("0123456789abcdef0123456789abcdef")
	for _, s := range benchSizes {
		body := bytes.Repeat([]byte("x"), s.n)
		header := Sign("0123456789abcdef0123456789abcdef", body)
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if !v.Verify(body, header).OK() {
					b.Fatal("mismatch")
				}
			}
		})
	}
}

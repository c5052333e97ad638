//go:build !unix

package receiver

func ignoreFileSizeSignal() {}

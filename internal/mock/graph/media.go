package graph

import "strings"

// MediaKind is one of Meta's media kinds with the types and size it accepts.
type MediaKind struct {
	Name  string
	Types []string
	Max   int64
}

const mb = 1 << 20

// MediaKinds are Meta's supported media types and limits (graph-api-reference §6.2).
var MediaKinds = []MediaKind{
	{"audio", []string{"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}, 16 * mb},
	{"document", []string{"text/plain", "application/pdf", "application/msword",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation"}, 100 * mb},
	{"image", []string{"image/jpeg", "image/png"}, 5 * mb},
	// 500 KB is the animated limit; static stickers are meant to stay
	// under 100 KB, which the mock does not tell apart.
	{"sticker", []string{"image/webp"}, 500 << 10},
	{"video", []string{"video/mp4", "video/3gpp"}, 16 * mb},
}

// MaxMediaSize is the largest file any kind accepts.
const MaxMediaSize = 100 * mb

// KindOf returns the kind accepting mime type typ (parameters such as
// "; codecs=opus" ignored).
func KindOf(typ string) (MediaKind, bool) {
	typ = strings.ToLower(strings.TrimSpace(typ))
	if i := strings.IndexByte(typ, ';'); i >= 0 {
		typ = strings.TrimSpace(typ[:i])
	}
	for _, k := range MediaKinds {
		for _, t := range k.Types {
			if t == typ {
				return k, true
			}
		}
	}
	return MediaKind{}, false
}

// AllMediaTypes lists every accepted type, for error details.
func AllMediaTypes() string {
	var all []string
	for _, k := range MediaKinds {
		all = append(all, k.Types...)
	}
	return strings.Join(all, ", ")
}

package mock

import (
	"encoding/json"
	"io"
	"mime/multipart"
	"net/url"
)

func newMultipart(r io.Reader, boundary string) *multipart.Reader {
	return multipart.NewReader(r, boundary)
}

func jsonBytes(v any) ([]byte, error) { return json.Marshal(v) }

// formValue reads one value of a form-encoded body (bounded by the caller).
func formValue(body []byte, key string) string {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return v.Get(key)
}

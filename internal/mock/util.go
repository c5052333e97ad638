package mock

import "net/url"

// formValue reads one value of a form-encoded body (bounded by the caller).
func formValue(body []byte, key string) string {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return v.Get(key)
}

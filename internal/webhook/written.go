package webhook

// Written is the notification of a body its writer describes as it wrote
// it: one entry for waba with one messages change, whose value is value
// (a part of body) and whose typed form is v (every Raw in it a part of
// body, sliced as the parser slices them). Its events are then what
// ParseShared(body) gives, without reading the body back: the mock posts
// thousands of status webhooks a second and knows every field of them,
// and parsing each one again for its own terminal and web inspector was
// about a tenth of its CPU (perf, inspector on). A writer must hold
// itself to that equality in its tests (the mock's compare both for
// every webhook they post).
func Written(body []byte, waba string, value []byte, v *MessagesValue) *Notification {
	return &Notification{Object: "whatsapp_business_account",
		Entry: []Entry{{ID: Flex(waba), Changes: []Change{{Field: "messages", Value: value, Decoded: v}}}},
		plain: plainBody(body)}
}

package receiver

// diagnose explains a signature mismatch in one line: which transformation
// of the body would have matched, or what else to check.
func diagnose(secret string, body []byte, header string) string {
	return "check that the App Secret is the one in Meta App Dashboard → App settings → Basic (not the verify token or an access token), and that nothing between Meta and wa-hooks re-encodes the body; save the body and run: wa-hooks sign --check " + truncate(header, 20) + " FILE"
}

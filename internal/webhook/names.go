package webhook

// Fields lists the webhook fields this model decodes, with the aliases it
// reads like them (standby is read as messages) and the documented fields
// it keeps as unknown.
func Fields() []string {
	out := append([]string(nil), knownFields...)
	return append(out, "standby", "group_participants_update", "group_settings_update", "group_status_update",
		"business_username_updates", "messaging_handovers")
}

// MessageTypes lists the message types this model decodes, and the
// interactive, system and unsupported subtypes it names.
func MessageTypes() []string {
	return []string{"text", "image", "audio", "video", "document", "sticker", "location", "contacts",
		"interactive", "interactive.button_reply", "interactive.list_reply", "interactive.nfm_reply",
		"interactive.call_permission_reply", "button", "reaction", "order", "system",
		"system.user_changed_number", "system.user_changed_user_id", "system.customer_identity_changed",
		"unsupported", "request_welcome", "revoke", "edit", "media_placeholder", "unknown"}
}

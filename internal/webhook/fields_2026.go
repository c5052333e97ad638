package webhook

import "strings"

// Value types of the fields Meta documents only partly or not at all
// (shapes UNCONFIRMED; see the fixtures' sources). Unknown keys stay in
// the event's Raw, so a shape that turns out richer loses nothing.

// AccountSettingsUpdate is the value of account_settings_update: a business
// phone number's settings changed (calling configuration, so far).
type AccountSettingsUpdate struct {
	PhoneNumberID       Flex `json:"phone_number_id"`
	DisplayPhoneNumber  Flex `json:"display_phone_number"`
	Timestamp           Flex `json:"timestamp"`
	PhoneNumberSettings *struct {
		Calling *struct {
			Status                   string `json:"status"`
			CallIconVisibility       string `json:"call_icon_visibility"`
			CallbackPermissionStatus string `json:"callback_permission_status"`
		} `json:"calling,omitempty"`
	} `json:"phone_number_settings,omitempty"`
}

// MessagingHandover is the value of messaging_handovers: control of a
// conversation passed to this app or taken from it (Meta Business Agent,
// conversation routing).
type MessagingHandover struct {
	MessagingProduct string   `json:"messaging_product"`
	Recipient        Metadata `json:"recipient"`
	Sender           struct {
		PhoneNumber Flex   `json:"phone_number"`
		UserID      string `json:"user_id"`
	} `json:"sender"`
	Timestamp     Flex            `json:"timestamp"`
	ControlPassed *HandoverDetail `json:"control_passed,omitempty"`
	ControlTaken  *HandoverDetail `json:"control_taken,omitempty"`
}

// HandoverDetail is what comes with a handover.
type HandoverDetail struct {
	Metadata           string `json:"metadata"`
	PreviousOwnerAppID Flex   `json:"previous_owner_app_id"`
}

// ConsumerProfileValue is the value of consumer_profile.
type ConsumerProfileValue struct {
	MessagingBase
	ConsumerProfile []Item[ConsumerProfile] `json:"consumer_profile"`
}

// ConsumerProfile is one user's profile change.
type ConsumerProfile struct {
	WaID         Flex   `json:"wa_id"`
	UserID       string `json:"user_id"`
	ParentUserID string `json:"parent_user_id"`
	Timestamp    Flex   `json:"timestamp"`
	Changes      struct {
		ProfileName *PreviousCurrent `json:"profile_name,omitempty"`
		Username    *PreviousCurrent `json:"username,omitempty"`
	} `json:"changes"`
}

// CallMedia is a recording or transcription a calls event announces.
type CallMedia struct {
	ID       Flex   `json:"id"`
	MimeType string `json:"mime_type"`
	Duration Flex   `json:"duration"`
	Language string `json:"language"`
	Text     string `json:"text"`
}

// knownCallEvent reports whether this model knows a calls[] event.
func knownCallEvent(event string) bool {
	switch event {
	case "connect", "terminate", "call_recording_available", "call_transcription_available":
		return true
	}
	return false
}

func callMediaNote(c *Call) string {
	s := ""
	if r := c.Recording; r != nil {
		s += " · recording " + string(r.ID)
		if r.MimeType != "" {
			s += " (" + r.MimeType + ")"
		}
		if r.Duration != "" {
			s += " " + string(r.Duration) + " s"
		}
	}
	if t := c.Transcription; t != nil {
		s += " · transcription " + string(t.ID)
		if t.Language != "" {
			s += " (" + t.Language + ")"
		}
		if t.Text != "" {
			s += ": " + quote(t.Text)
		}
	}
	return s
}

// accountSettingsEvent fills an account_settings_update event and returns
// its subtype.
func accountSettingsEvent(e *Event, v *AccountSettingsUpdate) string {
	e.PhoneNumberID, e.DisplayPhoneNumber = string(v.PhoneNumberID), string(v.DisplayPhoneNumber)
	if t := v.Timestamp.Time(); !t.IsZero() {
		e.Timestamp = t
	}
	who := firstNonEmpty(string(v.DisplayPhoneNumber), string(v.PhoneNumberID), "phone number")
	if v.PhoneNumberSettings == nil || v.PhoneNumberSettings.Calling == nil {
		e.Summary = who + " settings changed: " + describeKeys(e.Raw)
		return ""
	}
	c := v.PhoneNumberSettings.Calling
	e.Summary = who + " calling " + orDash(Flex(c.Status))
	var notes []string
	if c.CallIconVisibility != "" {
		notes = append(notes, "call icon "+c.CallIconVisibility)
	}
	if c.CallbackPermissionStatus != "" {
		notes = append(notes, "callback permission "+c.CallbackPermissionStatus)
	}
	if len(notes) > 0 {
		e.Summary += " (" + strings.Join(notes, ", ") + ")"
	}
	return "calling"
}

// handoverEvent fills a messaging_handovers event and returns its subtype.
func handoverEvent(e *Event, v *MessagingHandover) string {
	e.PhoneNumberID, e.DisplayPhoneNumber = string(v.Recipient.PhoneNumberID), string(v.Recipient.DisplayPhoneNumber)
	e.From = firstNonEmpty(string(v.Sender.PhoneNumber), v.Sender.UserID)
	e.UserID = v.Sender.UserID
	if t := v.Timestamp.Time(); !t.IsZero() {
		e.Timestamp = t
	}
	sub, what, d := "", "", (*HandoverDetail)(nil)
	switch {
	case v.ControlPassed != nil:
		sub, what, d = "control_passed", "conversation control passed to this app", v.ControlPassed
	case v.ControlTaken != nil:
		sub, what, d = "control_taken", "conversation control taken from this app", v.ControlTaken
	default:
		e.Summary = "handover: " + describeKeys(e.Raw)
		return ""
	}
	if d.PreviousOwnerAppID != "" {
		what += " by app " + string(d.PreviousOwnerAppID)
	}
	if d.Metadata != "" {
		what += ": " + compactJSONString(d.Metadata)
	}
	e.Summary = what
	return sub
}

func consumerProfileEvent(e *Event, p *ConsumerProfile, idx contactIndex) {
	e.Type = "consumer_profile"
	e.From = firstNonEmpty(string(p.WaID), p.UserID)
	e.UserID = p.UserID
	if ts := p.Timestamp.Time(); !ts.IsZero() {
		e.Timestamp = ts
	}
	e.applyContact(idx.lookup(string(p.WaID), p.UserID))
	var parts []string
	if c := p.Changes.ProfileName; c != nil {
		parts = append(parts, "profile name "+quote(c.Previous)+" → "+quote(c.Current))
	}
	if c := p.Changes.Username; c != nil {
		parts = append(parts, "username "+orDash(Flex(c.Previous))+" → "+orDash(Flex(c.Current)))
	}
	if len(parts) == 0 {
		e.Summary = "profile changed: " + describeKeys(e.Raw)
		return
	}
	e.Summary = strings.Join(parts, ", ")
}

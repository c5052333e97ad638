package webhook

import (
	"bytes"
	"encoding/json"
)

// Item is one element of a value's array, decoded as far as its shape
// allows and kept verbatim in Raw.
type Item[T any] struct {
	V         T
	Raw       json.RawMessage
	DecodeErr string
}

// UnmarshalJSON decodes what it can and never fails.
func (it *Item[T]) UnmarshalJSON(b []byte) error {
	err := json.Unmarshal(b, &it.V)
	it.Raw = bytes.Clone(b)
	if err != nil {
		it.DecodeErr = err.Error()
	}
	return nil
}

func (*Item[T]) isItem() {} // marks Item types for the fast decoder

// Strings is a list Meta sometimes sends as a single string.
type Strings []string

// UnmarshalJSON accepts a string, an array of scalars, or null, and never
// fails (see Flex).
func (s *Strings) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var xs []Flex
		if json.Unmarshal(b, &xs) != nil {
			*s = Strings{string(b)}
			return nil
		}
		out := make(Strings, len(xs))
		for i, x := range xs {
			out[i] = string(x)
		}
		*s = out
		return nil
	}
	var f Flex
	_ = f.UnmarshalJSON(b)
	if f != "" {
		*s = Strings{string(f)}
	}
	return nil
}

// TemplateStatusUpdate is the value of message_template_status_update.
type TemplateStatusUpdate struct {
	Event string `json:"event"`
	// MessageTemplateID is a JSON integer above 2^53: kept as exact text.
	MessageTemplateID       Flex   `json:"message_template_id"`
	MessageTemplateName     string `json:"message_template_name"`
	MessageTemplateLanguage string `json:"message_template_language"`
	// Reason is "" when Meta sends null (a template scheduled for deletion).
	Reason                  Flex   `json:"reason"`
	MessageTemplateCategory string `json:"message_template_category"`
	RejectionInfo           *struct {
		Reason         string `json:"reason"`
		Recommendation string `json:"recommendation"`
	} `json:"rejection_info,omitempty"`
	DisableInfo *struct {
		DisableDate Flex `json:"disable_date"`
	} `json:"disable_info,omitempty"`
	OtherInfo *struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"other_info,omitempty"`
}

// TemplateQualityUpdate is the value of message_template_quality_update.
type TemplateQualityUpdate struct {
	PreviousQualityScore    string `json:"previous_quality_score"`
	NewQualityScore         string `json:"new_quality_score"`
	MessageTemplateID       Flex   `json:"message_template_id"`
	MessageTemplateName     string `json:"message_template_name"`
	MessageTemplateLanguage string `json:"message_template_language"`
}

// TemplateComponentsUpdate is the value of message_template_components_update.
type TemplateComponentsUpdate struct {
	MessageTemplateID       Flex   `json:"message_template_id"`
	MessageTemplateName     string `json:"message_template_name"`
	MessageTemplateLanguage string `json:"message_template_language"`
	MessageTemplateTitle    string `json:"message_template_title"`
	MessageTemplateElement  string `json:"message_template_element"`
	MessageTemplateFooter   string `json:"message_template_footer"`
	MessageTemplateButtons  []struct {
		Type        string `json:"message_template_button_type"`
		Text        string `json:"message_template_button_text"`
		PhoneNumber string `json:"message_template_button_phone_number"`
		URL         string `json:"message_template_button_url"`
	} `json:"message_template_buttons"`
}

// TemplateCategoryUpdate is the value of template_category_update: either
// an impending change (CorrectCategory set) or a completed one.
type TemplateCategoryUpdate struct {
	MessageTemplateID       Flex   `json:"message_template_id"`
	MessageTemplateName     string `json:"message_template_name"`
	MessageTemplateLanguage string `json:"message_template_language"`
	PreviousCategory        string `json:"previous_category"`
	NewCategory             string `json:"new_category"`
	CorrectCategory         string `json:"correct_category"`
	CategoryUpdateTimestamp Flex   `json:"category_update_timestamp"`
}

// PhoneNumberQualityUpdate is the value of phone_number_quality_update.
type PhoneNumberQualityUpdate struct {
	DisplayPhoneNumber               Flex   `json:"display_phone_number"`
	Event                            string `json:"event"`
	CurrentLimit                     string `json:"current_limit"`
	OldLimit                         string `json:"old_limit"`
	MaxDailyConversationsPerBusiness Flex   `json:"max_daily_conversations_per_business"`
}

// PhoneNumberNameUpdate is the value of phone_number_name_update.
type PhoneNumberNameUpdate struct {
	DisplayPhoneNumber    Flex   `json:"display_phone_number"`
	Decision              string `json:"decision"`
	RequestedVerifiedName string `json:"requested_verified_name"`
	RejectionReason       Flex   `json:"rejection_reason"`
}

// AccountUpdate is the value of account_update; Event says which of the
// optional parts is present.
type AccountUpdate struct {
	Event           string `json:"event"`
	PhoneNumber     Flex   `json:"phone_number"`
	RestrictionInfo []struct {
		RestrictionType string `json:"restriction_type"`
		Expiration      Flex   `json:"expiration"`
		Remediation     string `json:"remediation"`
	} `json:"restriction_info,omitempty"`
	ViolationInfo *struct {
		ViolationType string `json:"violation_type"`
	} `json:"violation_info,omitempty"`
	BanInfo *struct {
		WabaBanState Strings `json:"waba_ban_state"`
		WabaBanDate  string  `json:"waba_ban_date"`
	} `json:"ban_info,omitempty"`
	WabaInfo *struct {
		WabaID                     Flex    `json:"waba_id"`
		AdAccountLinked            Flex    `json:"ad_account_linked"`
		OwnerBusinessID            Flex    `json:"owner_business_id"`
		PartnerAppID               Flex    `json:"partner_app_id"`
		SolutionID                 Flex    `json:"solution_id"`
		SolutionPartnerBusinessIDs Strings `json:"solution_partner_business_ids"`
	} `json:"waba_info,omitempty"`
	AuthInternationalRateEligibility *struct {
		StartTime          Flex `json:"start_time"`
		ExceptionCountries []struct {
			CountryCode string `json:"country_code"`
			StartTime   Flex   `json:"start_time"`
		} `json:"exception_countries"`
	} `json:"auth_international_rate_eligibility,omitempty"`
	Country           string `json:"country"`
	DisconnectionInfo *struct {
		Reason      string `json:"reason"`
		InitiatedBy string `json:"initiated_by"`
	} `json:"disconnection_info,omitempty"`
	PartnerClientCertificationInfo *struct {
		ClientBusinessID Flex    `json:"client_business_id"`
		Status           string  `json:"status"`
		RejectionReasons Strings `json:"rejection_reasons"`
	} `json:"partner_client_certification_info,omitempty"`
	VolumeTierInfo *struct {
		TierUpdateTime  Flex   `json:"tier_update_time"`
		PricingCategory string `json:"pricing_category"`
		Tier            string `json:"tier"`
		EffectiveMonth  string `json:"effective_month"`
		Region          string `json:"region"`
	} `json:"volume_tier_info,omitempty"`
}

// AccountAlert is the value of account_alerts.
type AccountAlert struct {
	EntityType string `json:"entity_type"`
	EntityID   Flex   `json:"entity_id"`
	AlertInfo  struct {
		AlertSeverity    string `json:"alert_severity"`
		AlertStatus      string `json:"alert_status"`
		AlertType        string `json:"alert_type"`
		AlertDescription string `json:"alert_description"`
	} `json:"alert_info"`
}

// AccountReviewUpdate is the value of account_review_update.
type AccountReviewUpdate struct {
	Decision string `json:"decision"`
}

// BusinessCapabilityUpdate is the value of business_capability_update. The
// limits arrive as tier names or numbers depending on the account (5.10).
type BusinessCapabilityUpdate struct {
	MaxDailyConversationsPerBusiness Flex `json:"max_daily_conversations_per_business"`
	MaxDailyConversationPerPhone     Flex `json:"max_daily_conversation_per_phone"`
	MaxPhoneNumbersPerWABA           Flex `json:"max_phone_numbers_per_waba"`
	MaxPhoneNumbersPerBusiness       Flex `json:"max_phone_numbers_per_business"`
}

// SecurityEvent is the value of security.
type SecurityEvent struct {
	DisplayPhoneNumber Flex   `json:"display_phone_number"`
	Event              string `json:"event"`
	Requester          Flex   `json:"requester"`
}

// FlowsEvent is the value of flows: a status change or a health alert.
type FlowsEvent struct {
	Event         string `json:"event"`
	Message       string `json:"message"`
	FlowID        Flex   `json:"flow_id"`
	OldStatus     string `json:"old_status"`
	NewStatus     string `json:"new_status"`
	ErrorRate     Flex   `json:"error_rate"`
	Threshold     Flex   `json:"threshold"`
	AlertState    string `json:"alert_state"`
	P50Latency    Flex   `json:"p50_latency"`
	P90Latency    Flex   `json:"p90_latency"`
	RequestsCount Flex   `json:"requests_count"`
	Availability  Flex   `json:"availability"`
	Warning       string `json:"warning"`
	Errors        []struct {
		ErrorType  string `json:"error_type"`
		ErrorRate  Flex   `json:"error_rate"`
		ErrorCount Flex   `json:"error_count"`
	} `json:"errors,omitempty"`
}

// MessagingBase is what every messaging-like field's value starts with.
type MessagingBase struct {
	MessagingProduct string    `json:"messaging_product"`
	Metadata         Metadata  `json:"metadata"`
	Contacts         []Contact `json:"contacts"`
	Errors           []Error   `json:"errors"`
}

// UserPreferencesValue is the value of user_preferences.
type UserPreferencesValue struct {
	MessagingBase
	UserPreferences []Item[UserPreference] `json:"user_preferences"`
}

// UserPreference is a user's marketing opt-out, opt-in or sign-up.
type UserPreference struct {
	WaID         Flex   `json:"wa_id"`
	UserID       string `json:"user_id"`
	ParentUserID string `json:"parent_user_id"`
	Detail       string `json:"detail"`
	Category     string `json:"category"`
	Value        string `json:"value"`
	Timestamp    Flex   `json:"timestamp"`
	SignupID     Flex   `json:"signup_id"`
}

// EchoesValue is the value of smb_message_echoes: messages the business sent
// from the WhatsApp Business app (From is the business, To the user).
type EchoesValue struct {
	MessagingBase
	MessageEchoes []Message `json:"message_echoes"`
}

// StateSyncValue is the value of smb_app_state_sync.
type StateSyncValue struct {
	MessagingBase
	StateSync []Item[StateSync] `json:"state_sync"`
}

// StateSync is one contact added, edited or removed in the Business app.
type StateSync struct {
	Type    string `json:"type"`
	Contact struct {
		FullName    string `json:"full_name"`
		FirstName   string `json:"first_name"`
		PhoneNumber Flex   `json:"phone_number"`
	} `json:"contact"`
	Action   string `json:"action"`
	Metadata struct {
		Timestamp Flex `json:"timestamp"`
	} `json:"metadata"`
}

// HistoryValue is the value of history: chunks of backfilled threads, or a
// plain messages array for media follow-ups.
type HistoryValue struct {
	MessagingBase
	History  []HistoryChunk `json:"history"`
	Messages []Message      `json:"messages"`
}

// HistoryChunk is one chunk of a history sync, or its refusal (Errors).
type HistoryChunk struct {
	Metadata struct {
		Phase      Flex `json:"phase"`
		ChunkOrder Flex `json:"chunk_order"`
		Progress   Flex `json:"progress"`
	} `json:"metadata"`
	Threads []struct {
		ID       Flex      `json:"id"`
		Messages []Message `json:"messages"`
	} `json:"threads"`
	Errors []Error `json:"errors"`
}

// AutomaticEventsValue is the value of automatic_events.
type AutomaticEventsValue struct {
	MessagingBase
	AutomaticEvents []Item[AutomaticEvent] `json:"automatic_events"`
}

// AutomaticEvent is a purchase or lead detected in a CTWA chat.
type AutomaticEvent struct {
	ID         string `json:"id"`
	EventName  string `json:"event_name"`
	Timestamp  Flex   `json:"timestamp"`
	CtwaClid   string `json:"ctwa_clid"`
	CustomData *struct {
		Currency string `json:"currency"`
		// Value is the amount times 1000.
		Value Flex `json:"value"`
	} `json:"custom_data,omitempty"`
}

// PartnerSolutionsEvent is the value of partner_solutions.
type PartnerSolutionsEvent struct {
	Event          string `json:"event"`
	SolutionID     Flex   `json:"solution_id"`
	SolutionStatus string `json:"solution_status"`
}

// PaymentConfigurationUpdate is the value of payment_configuration_update.
type PaymentConfigurationUpdate struct {
	ConfigurationName string `json:"configuration_name"`
	ProviderName      string `json:"provider_name"`
	ProviderMID       string `json:"provider_mid"`
	Status            string `json:"status"`
	CreatedTimestamp  Flex   `json:"created_timestamp"`
	UpdatedTimestamp  Flex   `json:"updated_timestamp"`
}

// CallsValue is the value of calls: call events, or call statuses.
type CallsValue struct {
	MessagingBase
	Calls    []Item[Call] `json:"calls"`
	Statuses []Status     `json:"statuses"`
}

// Call is a connect or terminate event of the Calling API.
type Call struct {
	ID                    string  `json:"id"`
	From                  Flex    `json:"from"`
	FromUserID            string  `json:"from_user_id"`
	To                    Flex    `json:"to"`
	ToUserID              string  `json:"to_user_id"`
	Event                 string  `json:"event"`
	Timestamp             Flex    `json:"timestamp"`
	Direction             string  `json:"direction"`
	Status                Strings `json:"status"`
	StartTime             Flex    `json:"start_time"`
	EndTime               Flex    `json:"end_time"`
	Duration              Flex    `json:"duration"`
	BizOpaqueCallbackData string  `json:"biz_opaque_callback_data"`
	Session               *struct {
		SDP     string `json:"sdp"`
		SDPType string `json:"sdp_type"`
	} `json:"session,omitempty"`
	Errors []Error `json:"errors"`
	// Recording and Transcription come with call_recording_available and
	// call_transcription_available.
	Recording     *CallMedia `json:"recording,omitempty"`
	Transcription *CallMedia `json:"transcription,omitempty"`
}

// GroupsValue is the value of the group_* fields (Groups API). The full
// shapes are not confirmed against Meta's pages; unknown keys stay in Raw.
type GroupsValue struct {
	MessagingBase
	Groups []Item[GroupEvent] `json:"groups"`
}

// GroupEvent is one group lifecycle, participants, settings or status event.
type GroupEvent struct {
	Timestamp           Flex          `json:"timestamp"`
	GroupID             string        `json:"group_id"`
	Type                string        `json:"type"`
	RequestID           string        `json:"request_id"`
	Subject             string        `json:"subject"`
	InitiatedBy         string        `json:"initiated_by"`
	Reason              string        `json:"reason"`
	AddedParticipants   []Participant `json:"added_participants,omitempty"`
	RemovedParticipants []Participant `json:"removed_participants,omitempty"`
	Errors              []Error       `json:"errors"`
}

// Participant is a group member.
type Participant struct {
	Input  string `json:"input"`
	WaID   Flex   `json:"wa_id"`
	UserID string `json:"user_id"`
}

// UserIDUpdateValue is the value of user_id_update (BSUID rotation).
type UserIDUpdateValue struct {
	MessagingBase
	UserIDUpdate []Item[UserIDUpdate] `json:"user_id_update"`
}

// UserIDUpdate is one user's BSUID change.
type UserIDUpdate struct {
	WaID         Flex            `json:"wa_id"`
	Detail       string          `json:"detail"`
	UserID       PreviousCurrent `json:"user_id"`
	ParentUserID PreviousCurrent `json:"parent_user_id"`
	Timestamp    Flex            `json:"timestamp"`
}

// PreviousCurrent is an identifier before and after a change.
type PreviousCurrent struct {
	Previous string `json:"previous"`
	Current  string `json:"current"`
}

// BusinessUsernameUpdate is the value of business_username_update.
type BusinessUsernameUpdate struct {
	DisplayPhoneNumber Flex   `json:"display_phone_number"`
	Username           string `json:"username"`
	Status             string `json:"status"`
}

// knownFields are the fields newValue types, each value type at least once.
var knownFields = []string{
	"messages", "message_template_status_update", "message_template_quality_update",
	"message_template_components_update", "template_category_update", "phone_number_quality_update",
	"phone_number_name_update", "account_update", "account_alerts", "account_review_update",
	"business_capability_update", "security", "flows", "user_preferences", "smb_message_echoes",
	"smb_app_state_sync", "history", "automatic_events", "partner_solutions",
	"payment_configuration_update", "calls", "group_lifecycle_update", "user_id_update",
	"business_username_update", "account_settings_update", "messaging_handovers", "consumer_profile",
}

// newValue returns a pointer to the typed value for a field, or nil for a
// field this model does not know.
func newValue(field string) any {
	switch field {
	case "messages", "standby":
		return new(MessagesValue)
	case "message_template_status_update":
		return new(TemplateStatusUpdate)
	case "message_template_quality_update":
		return new(TemplateQualityUpdate)
	case "message_template_components_update":
		return new(TemplateComponentsUpdate)
	case "template_category_update":
		return new(TemplateCategoryUpdate)
	case "phone_number_quality_update":
		return new(PhoneNumberQualityUpdate)
	case "phone_number_name_update":
		return new(PhoneNumberNameUpdate)
	case "account_update":
		return new(AccountUpdate)
	case "account_alerts":
		return new(AccountAlert)
	case "account_review_update":
		return new(AccountReviewUpdate)
	case "business_capability_update":
		return new(BusinessCapabilityUpdate)
	case "security":
		return new(SecurityEvent)
	case "flows":
		return new(FlowsEvent)
	case "user_preferences":
		return new(UserPreferencesValue)
	case "smb_message_echoes", "message_echoes":
		return new(EchoesValue)
	case "smb_app_state_sync":
		return new(StateSyncValue)
	case "history":
		return new(HistoryValue)
	case "automatic_events":
		return new(AutomaticEventsValue)
	case "partner_solutions":
		return new(PartnerSolutionsEvent)
	case "payment_configuration_update":
		return new(PaymentConfigurationUpdate)
	case "calls":
		return new(CallsValue)
	case "group_lifecycle_update", "group_participants_update", "group_settings_update", "group_status_update":
		return new(GroupsValue)
	case "user_id_update":
		return new(UserIDUpdateValue)
	case "business_username_update", "business_username_updates":
		return new(BusinessUsernameUpdate)
	case "account_settings_update":
		return new(AccountSettingsUpdate)
	case "messaging_handovers":
		return new(MessagingHandover)
	case "consumer_profile":
		return new(ConsumerProfileValue)
	}
	return nil
}

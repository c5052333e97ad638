package webhook

import (
	"bytes"
	"encoding/json"
)

// MessagesValue is the value of the messages field (and of standby, which
// carries the same shape while another responder holds the conversation).
type MessagesValue struct {
	MessagingProduct string    `json:"messaging_product"`
	Metadata         Metadata  `json:"metadata"`
	Contacts         []Contact `json:"contacts"`
	Messages         []Message `json:"messages"`
	Statuses         []Status  `json:"statuses"`
	// Errors are system, app or account level errors (value.errors).
	Errors []Error `json:"errors"`
}

// Message is an inbound message (also an SMB echo or a history message).
// Type says which of the type-specific pointers is set; a type this model
// does not know leaves them all nil and keeps everything in Raw.
type Message struct {
	From             Flex   `json:"from"`
	FromUserID       string `json:"from_user_id"`
	FromParentUserID string `json:"from_parent_user_id"`
	// To and ToUserID are set on smb_message_echoes and history echoes,
	// where From is the business.
	To             Flex            `json:"to"`
	ToUserID       string          `json:"to_user_id"`
	ToParentUserID string          `json:"to_parent_user_id"`
	ID             string          `json:"id"`
	Timestamp      Flex            `json:"timestamp"`
	Type           string          `json:"type"`
	GroupID        string          `json:"group_id"`
	Context        *Context        `json:"context,omitempty"`
	Referral       *Referral       `json:"referral,omitempty"`
	Errors         []Error         `json:"errors"`
	Identity       *Identity       `json:"identity,omitempty"`
	HistoryContext *HistoryContext `json:"history_context,omitempty"`

	Text        *Text         `json:"text,omitempty"`
	Image       *Media        `json:"image,omitempty"`
	Audio       *Media        `json:"audio,omitempty"`
	Video       *Media        `json:"video,omitempty"`
	Document    *Media        `json:"document,omitempty"`
	Sticker     *Media        `json:"sticker,omitempty"`
	Location    *Location     `json:"location,omitempty"`
	Contacts    []ContactCard `json:"contacts,omitempty"`
	Interactive *Interactive  `json:"interactive,omitempty"`
	Button      *Button       `json:"button,omitempty"`
	Reaction    *Reaction     `json:"reaction,omitempty"`
	Order       *Order        `json:"order,omitempty"`
	System      *System       `json:"system,omitempty"`
	Unsupported *Unsupported  `json:"unsupported,omitempty"`
	Revoke      *Revoke       `json:"revoke,omitempty"`
	Edit        *Edit         `json:"edit,omitempty"`

	// Raw is the message exactly as received.
	Raw json.RawMessage `json:"-"`
	// DecodeErr says which part of the message had an unexpected shape;
	// everything else was still decoded.
	DecodeErr string `json:"-"`
}

// UnmarshalJSON decodes what it can and never fails: a message with one
// odd field must still be shown, not dropped.
func (m *Message) UnmarshalJSON(b []byte) error {
	type plain Message
	var p plain
	err := json.Unmarshal(b, &p)
	*m = Message(p)
	m.Raw = bytes.Clone(b)
	if err != nil {
		m.DecodeErr = err.Error()
	}
	return nil
}

// Sender returns the counterpart's identity: from, else from_user_id
// (username users since 2026 may have no phone number at all).
func (m *Message) Sender() string {
	if m.From != "" {
		return string(m.From)
	}
	return m.FromUserID
}

// Context links a message to another: a reply, a forward, a product inquiry.
type Context struct {
	From                Flex             `json:"from"`
	ID                  string           `json:"id"`
	Forwarded           bool             `json:"forwarded"`
	FrequentlyForwarded bool             `json:"frequently_forwarded"`
	ReferredProduct     *ReferredProduct `json:"referred_product,omitempty"`
}

// ReferredProduct is the catalog item a user asked about.
type ReferredProduct struct {
	CatalogID         Flex   `json:"catalog_id"`
	ProductRetailerID string `json:"product_retailer_id"`
}

// Referral describes the Click-to-WhatsApp ad or post a message came from.
type Referral struct {
	SourceURL      string          `json:"source_url"`
	SourceID       Flex            `json:"source_id"`
	SourceType     string          `json:"source_type"`
	Body           string          `json:"body"`
	Headline       string          `json:"headline"`
	MediaType      string          `json:"media_type"`
	ImageURL       string          `json:"image_url"`
	VideoURL       string          `json:"video_url"`
	ThumbnailURL   string          `json:"thumbnail_url"`
	CtwaClid       string          `json:"ctwa_clid"`
	WelcomeMessage *WelcomeMessage `json:"welcome_message,omitempty"`
}

// WelcomeMessage is the ad's greeting.
type WelcomeMessage struct {
	Text string `json:"text"`
}

// Identity is the legacy identity-change acknowledgement on system messages.
type Identity struct {
	Acknowledged     bool   `json:"acknowledged"`
	CreatedTimestamp Flex   `json:"created_timestamp"`
	Hash             string `json:"hash"`
}

// HistoryContext is the delivery state of a backfilled history message.
type HistoryContext struct {
	Status string `json:"status"`
}

// Text is a text message's content.
type Text struct {
	Body string `json:"body"`
}

// Media is an image, audio, video, document or sticker. Only the ID and,
// since late 2025, a download URL are sent; never the bytes.
type Media struct {
	ID       Flex   `json:"id"`
	MimeType string `json:"mime_type"`
	// SHA256 is base64 in current payloads, hex in older ones.
	SHA256   string `json:"sha256"`
	URL      string `json:"url"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
	// Voice is true for an audio recorded with the microphone button.
	Voice bool `json:"voice"`
	// Animated is true for an animated sticker.
	Animated bool `json:"animated"`
}

// Location is a shared point; Name, Address and URL only for a named place.
type Location struct {
	Latitude  json.Number `json:"latitude"`
	Longitude json.Number `json:"longitude"`
	Name      string      `json:"name"`
	Address   string      `json:"address"`
	URL       string      `json:"url"`
}

// ContactCard is one shared contact card (messages[].contacts), not to be
// confused with the sender's profile in value.contacts.
type ContactCard struct {
	Addresses []struct {
		City        string `json:"city"`
		Country     string `json:"country"`
		CountryCode string `json:"country_code"`
		State       string `json:"state"`
		Street      string `json:"street"`
		Type        string `json:"type"`
		Zip         Flex   `json:"zip"`
	} `json:"addresses,omitempty"`
	Birthday string `json:"birthday"`
	Emails   []struct {
		Email string `json:"email"`
		Type  string `json:"type"`
	} `json:"emails,omitempty"`
	Name struct {
		FormattedName string `json:"formatted_name"`
		FirstName     string `json:"first_name"`
		LastName      string `json:"last_name"`
		MiddleName    string `json:"middle_name"`
		Suffix        string `json:"suffix"`
		Prefix        string `json:"prefix"`
	} `json:"name"`
	Org *struct {
		Company    string `json:"company"`
		Department string `json:"department"`
		Title      string `json:"title"`
	} `json:"org,omitempty"`
	Phones []struct {
		Phone string `json:"phone"`
		WaID  Flex   `json:"wa_id"`
		Type  string `json:"type"`
	} `json:"phones,omitempty"`
	URLs []struct {
		URL  string `json:"url"`
		Type string `json:"type"`
	} `json:"urls,omitempty"`
	// Vcard and Origin come with REQUEST_CONTACT_INFO replies (2026).
	Vcard  string `json:"vcard"`
	Origin string `json:"origin"`
}

// Interactive is a reply to an interactive message.
type Interactive struct {
	Type                string               `json:"type"`
	ButtonReply         *Reply               `json:"button_reply,omitempty"`
	ListReply           *Reply               `json:"list_reply,omitempty"`
	NfmReply            *NfmReply            `json:"nfm_reply,omitempty"`
	CallPermissionReply *CallPermissionReply `json:"call_permission_reply,omitempty"`
}

// Reply is the chosen button or list row.
type Reply struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

// NfmReply is a completed Flow (name "flow") or address message.
type NfmReply struct {
	Name string `json:"name"`
	Body string `json:"body"`
	// ResponseJSON is a JSON document inside a string, as Meta sends it.
	ResponseJSON string `json:"response_json"`
}

// CallPermissionReply is the user's answer to a call permission request.
type CallPermissionReply struct {
	Response            string `json:"response"`
	ExpirationTimestamp Flex   `json:"expiration_timestamp"`
	ResponseSource      string `json:"response_source"`
	IsPermanent         bool   `json:"is_permanent"`
}

// Button is a tap on a template's quick-reply button.
type Button struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

// Reaction is an emoji reaction; a removal has an empty or missing Emoji.
type Reaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"`
}

// Order is a cart sent from a catalog.
type Order struct {
	CatalogID    Flex          `json:"catalog_id"`
	Text         string        `json:"text"`
	ProductItems []ProductItem `json:"product_items"`
}

// ProductItem is one line of an order. Quantity and price have been both
// numbers and strings across API versions, hence Flex.
type ProductItem struct {
	ProductRetailerID string `json:"product_retailer_id"`
	Quantity          Flex   `json:"quantity"`
	ItemPrice         Flex   `json:"item_price"`
	Currency          string `json:"currency"`
}

// System is a system notice about the user (number or BSUID change).
type System struct {
	Body         string `json:"body"`
	Type         string `json:"type"`
	WaID         Flex   `json:"wa_id"`
	NewWaID      Flex   `json:"new_wa_id"`
	UserID       string `json:"user_id"`
	ParentUserID string `json:"parent_user_id"`
	Customer     string `json:"customer"`
	Identity     string `json:"identity"`
}

// Unsupported names what the user sent that Cloud API cannot deliver.
type Unsupported struct {
	Type string `json:"type"`
}

// Revoke is a Coexistence deletion of an earlier message.
type Revoke struct {
	OriginalMessageID string `json:"original_message_id"`
}

// Edit is a Coexistence edit of an earlier message.
type Edit struct {
	OriginalMessageID string   `json:"original_message_id"`
	Message           *Message `json:"message,omitempty"`
}

// Status is a delivery update for a message the business sent (and, under
// the calls field, a call status).
type Status struct {
	ID                               string        `json:"id"`
	Status                           string        `json:"status"`
	Timestamp                        Flex          `json:"timestamp"`
	Type                             string        `json:"type"`
	RecipientID                      Flex          `json:"recipient_id"`
	RecipientUserID                  string        `json:"recipient_user_id"`
	RecipientParentUserID            string        `json:"recipient_parent_user_id"`
	RecipientType                    string        `json:"recipient_type"`
	RecipientParticipantID           Flex          `json:"recipient_participant_id"`
	RecipientParticipantUserID       string        `json:"recipient_participant_user_id"`
	RecipientParticipantParentUserID string        `json:"recipient_participant_parent_user_id"`
	RecipientIdentityKeyHash         string        `json:"recipient_identity_key_hash"`
	BizOpaqueCallbackData            string        `json:"biz_opaque_callback_data"`
	Conversation                     *Conversation `json:"conversation,omitempty"`
	Pricing                          *Pricing      `json:"pricing,omitempty"`
	Errors                           []Error       `json:"errors"`

	Raw       json.RawMessage `json:"-"`
	DecodeErr string          `json:"-"`
}

// UnmarshalJSON decodes what it can and never fails.
func (s *Status) UnmarshalJSON(b []byte) error {
	type plain Status
	var p plain
	err := json.Unmarshal(b, &p)
	*s = Status(p)
	s.Raw = bytes.Clone(b)
	if err != nil {
		s.DecodeErr = err.Error()
	}
	return nil
}

// Recipient returns recipient_id, else recipient_user_id.
func (s *Status) Recipient() string {
	if s.RecipientID != "" {
		return string(s.RecipientID)
	}
	return s.RecipientUserID
}

// Conversation is the (pre-v24) conversation a status was billed under.
type Conversation struct {
	ID                  string `json:"id"`
	ExpirationTimestamp Flex   `json:"expiration_timestamp"`
	Origin              *struct {
		Type string `json:"type"`
	} `json:"origin,omitempty"`
}

// Pricing says how a message is charged. PricingModel is "PMP" (per-message
// pricing) or, before July 2025, "CBP".
type Pricing struct {
	Billable     *bool  `json:"billable,omitempty"`
	PricingModel string `json:"pricing_model"`
	Type         string `json:"type"`
	Category     string `json:"category"`
}

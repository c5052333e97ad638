package webhook

import (
	"fmt"
	"strings"
)

// managementEvent fills type, status and summary for the fields whose value
// is a single update rather than an array of items.
func managementEvent(e *Event, decoded any) {
	sub := ""
	switch v := decoded.(type) {
	case *TemplateStatusUpdate:
		sub = v.Event
		s := templateName(v.MessageTemplateName, v.MessageTemplateLanguage) + " " + v.Event
		if v.Reason != "" && v.Reason != "NONE" {
			s += ": " + string(v.Reason)
		}
		if v.RejectionInfo != nil && v.RejectionInfo.Reason != "" {
			s += " · " + v.RejectionInfo.Reason
		}
		if v.OtherInfo != nil && v.OtherInfo.Title != "" {
			s += " · " + v.OtherInfo.Title
			if v.OtherInfo.Description != "" {
				s += ": " + v.OtherInfo.Description
			}
		}
		if v.DisableInfo != nil {
			if t := v.DisableInfo.DisableDate.Time(); !t.IsZero() {
				s += " · disabled on " + t.Format("2006-01-02")
			}
		}
		e.Summary = s
	case *TemplateQualityUpdate:
		sub = v.NewQualityScore
		e.Summary = fmt.Sprintf("%s quality %s → %s", templateName(v.MessageTemplateName, v.MessageTemplateLanguage), orDash(Flex(v.PreviousQualityScore)), v.NewQualityScore)
	case *TemplateComponentsUpdate:
		e.Summary = fmt.Sprintf("%s components updated", templateName(v.MessageTemplateName, v.MessageTemplateLanguage))
		if v.MessageTemplateTitle != "" {
			e.Summary += ": " + quote(v.MessageTemplateTitle)
		}
		if n := len(v.MessageTemplateButtons); n > 0 {
			e.Summary += fmt.Sprintf(" · %d button%s", n, plural(n))
		}
	case *TemplateCategoryUpdate:
		name := templateName(v.MessageTemplateName, v.MessageTemplateLanguage)
		if v.CorrectCategory != "" {
			sub = "impending"
			e.Summary = fmt.Sprintf("%s category %s will change to %s", name, v.NewCategory, v.CorrectCategory)
			if t := v.CategoryUpdateTimestamp.Time(); !t.IsZero() {
				e.Summary += " on " + t.Format("2006-01-02 15:04Z")
			}
		} else {
			sub = "changed"
			e.Summary = fmt.Sprintf("%s category %s → %s", name, orDash(Flex(v.PreviousCategory)), v.NewCategory)
		}
	case *PhoneNumberQualityUpdate:
		sub = v.Event
		e.DisplayPhoneNumber = string(v.DisplayPhoneNumber)
		s := string(v.DisplayPhoneNumber) + " " + v.Event
		var limits []string
		if v.MaxDailyConversationsPerBusiness != "" {
			limits = append(limits, "max daily conversations "+string(v.MaxDailyConversationsPerBusiness))
		}
		if v.CurrentLimit != "" {
			l := "limit " + v.CurrentLimit
			if v.OldLimit != "" {
				l = "limit " + v.OldLimit + " → " + v.CurrentLimit
			}
			limits = append(limits, l)
		}
		if len(limits) > 0 {
			s += ": " + strings.Join(limits, ", ")
		}
		e.Summary = s
	case *PhoneNumberNameUpdate:
		sub = v.Decision
		e.DisplayPhoneNumber = string(v.DisplayPhoneNumber)
		e.Summary = fmt.Sprintf("%s display name %s %s", v.DisplayPhoneNumber, quote(v.RequestedVerifiedName), v.Decision)
		if v.RejectionReason != "" && v.RejectionReason != "NONE" {
			e.Summary += ": " + string(v.RejectionReason)
		}
	case *AccountUpdate:
		sub = v.Event
		e.Summary = accountUpdateSummary(v)
	case *AccountAlert:
		sub = v.AlertInfo.AlertType
		e.Status = v.AlertInfo.AlertSeverity
		e.Summary = fmt.Sprintf("%s %s on %s %s", v.AlertInfo.AlertSeverity, v.AlertInfo.AlertType, v.EntityType, v.EntityID)
		if v.AlertInfo.AlertDescription != "" {
			e.Summary += ": " + truncate(v.AlertInfo.AlertDescription, 100)
		}
	case *AccountReviewUpdate:
		sub = v.Decision
		e.Summary = "account review " + v.Decision
	case *BusinessCapabilityUpdate:
		var parts []string
		add := func(label string, f Flex) {
			if f != "" {
				parts = append(parts, label+" "+string(f))
			}
		}
		add("max daily conversations per business", v.MaxDailyConversationsPerBusiness)
		add("max daily conversations per phone", v.MaxDailyConversationPerPhone)
		add("max phone numbers per WABA", v.MaxPhoneNumbersPerWABA)
		add("max phone numbers per business", v.MaxPhoneNumbersPerBusiness)
		e.Summary = "capabilities: " + strings.Join(parts, ", ")
	case *SecurityEvent:
		sub = v.Event
		e.DisplayPhoneNumber = string(v.DisplayPhoneNumber)
		e.Summary = fmt.Sprintf("%s on %s", v.Event, v.DisplayPhoneNumber)
		if v.Requester != "" {
			e.Summary += " requested by " + string(v.Requester)
		}
	case *FlowsEvent:
		sub = v.Event
		e.ID = string(v.FlowID)
		e.Summary = flowsSummary(v)
	case *PartnerSolutionsEvent:
		sub = v.Event
		e.ID = string(v.SolutionID)
		e.Summary = fmt.Sprintf("solution %s %s: %s", v.SolutionID, v.Event, v.SolutionStatus)
	case *PaymentConfigurationUpdate:
		sub = v.Status
		e.Summary = fmt.Sprintf("payment configuration %s (%s): %s", quote(v.ConfigurationName), v.ProviderName, v.Status)
		e.setTime(v.UpdatedTimestamp)
	case *AccountSettingsUpdate:
		sub = accountSettingsEvent(e, v)
	case *MessagingHandover:
		sub = handoverEvent(e, v)
	case *BusinessUsernameUpdate:
		sub = v.Status
		e.DisplayPhoneNumber = string(v.DisplayPhoneNumber)
		e.Username = v.Username
		e.Summary = fmt.Sprintf("business username @%s %s", v.Username, v.Status)
	}
	e.Status = firstNonEmpty(e.Status, sub)
	e.RawType = sub
	e.Type = e.Field
	if sub != "" {
		e.Type = e.Field + "." + strings.ToLower(strings.ReplaceAll(sub, " ", "_"))
	}
	if e.Summary == "" {
		e.Summary = describeKeys(e.Raw)
	}
}

func templateName(name, lang string) string {
	s := "template " + name
	if lang != "" {
		s += " (" + lang + ")"
	}
	return s
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

func accountUpdateSummary(v *AccountUpdate) string {
	var parts []string
	for _, r := range v.RestrictionInfo {
		p := r.RestrictionType
		if t := r.Expiration.Time(); !t.IsZero() {
			p += " until " + t.Format("2006-01-02 15:04Z")
		}
		parts = append(parts, p)
	}
	if v.ViolationInfo != nil {
		parts = append(parts, "violation "+v.ViolationInfo.ViolationType)
	}
	if v.BanInfo != nil {
		p := "ban " + strings.Join(v.BanInfo.WabaBanState, ",")
		if v.BanInfo.WabaBanDate != "" {
			p += " on " + v.BanInfo.WabaBanDate
		}
		parts = append(parts, p)
	}
	if w := v.WabaInfo; w != nil {
		p := "WABA " + string(w.WabaID)
		if w.AdAccountLinked != "" {
			p += ", ad account " + string(w.AdAccountLinked)
		}
		if w.PartnerAppID != "" {
			p += ", partner app " + string(w.PartnerAppID)
		}
		parts = append(parts, p)
	}
	if d := v.DisconnectionInfo; d != nil {
		parts = append(parts, fmt.Sprintf("disconnected: %s by %s", d.Reason, d.InitiatedBy))
	}
	if a := v.AuthInternationalRateEligibility; a != nil {
		p := "international authentication rates"
		if t := a.StartTime.Time(); !t.IsZero() {
			p += " from " + t.Format("2006-01-02")
		}
		if n := len(a.ExceptionCountries); n > 0 {
			word := "countries"
			if n == 1 {
				word = "country"
			}
			p += fmt.Sprintf(", %d exception %s", n, word)
		}
		parts = append(parts, p)
	}
	if v.Country != "" {
		parts = append(parts, "country "+v.Country)
	}
	if c := v.PartnerClientCertificationInfo; c != nil {
		p := "client " + string(c.ClientBusinessID) + " certification " + c.Status
		if len(c.RejectionReasons) > 0 && !(len(c.RejectionReasons) == 1 && c.RejectionReasons[0] == "NONE") {
			p += " (" + strings.Join(c.RejectionReasons, ", ") + ")"
		}
		parts = append(parts, p)
	}
	if t := v.VolumeTierInfo; t != nil {
		parts = append(parts, fmt.Sprintf("%s tier %s for %s in %s", t.PricingCategory, t.Tier, t.EffectiveMonth, t.Region))
	}
	if v.PhoneNumber != "" {
		parts = append(parts, "phone "+string(v.PhoneNumber))
	}
	if len(parts) == 0 {
		return v.Event
	}
	return v.Event + ": " + strings.Join(parts, " · ")
}

func flowsSummary(v *FlowsEvent) string {
	s := "flow " + string(v.FlowID) + " "
	switch v.Event {
	case "FLOW_STATUS_CHANGE":
		s += orDash(Flex(v.OldStatus)) + " → " + v.NewStatus
	case "CLIENT_ERROR_RATE", "ENDPOINT_ERROR_RATE":
		s += fmt.Sprintf("%s %s: error rate %s%% (threshold %s%%)", v.Event, v.AlertState, v.ErrorRate, v.Threshold)
	case "ENDPOINT_LATENCY":
		s += fmt.Sprintf("%s %s: p90 %s ms, p50 %s ms over %s requests (threshold %s ms)", v.Event, v.AlertState, v.P90Latency, v.P50Latency, v.RequestsCount, v.Threshold)
	case "ENDPOINT_AVAILABILITY":
		s += fmt.Sprintf("%s %s: availability %s%% (threshold %s%%)", v.Event, v.AlertState, v.Availability, v.Threshold)
	default:
		s += v.Event
	}
	if v.Warning != "" {
		s += ": " + truncate(v.Warning, 100)
	}
	return s
}

package graph

import (
	"net/http"
	"slices"

	"github.com/allot-project/allot"
)

// provisionedPlan is Graph's provisionedPlan: a service the user is
// provisioned in, with its capability and provisioning status.
type provisionedPlan struct {
	CapabilityStatus   string `json:"capabilityStatus"`
	ProvisioningStatus string `json:"provisioningStatus"`
	Service            string `json:"service"`
}

// dataServices are the services whose data outlives the licenses:
// "exchange" for the mailbox, "sharepoint" for the files.
var dataServices = map[allot.DataKind]string{allot.DataMailbox: "exchange", allot.DataFiles: "sharepoint"}

// provisionedPlans lists, once per service, the services the user's
// licenses enable (Enabled, Success), then the services whose data is
// kept without a license: a disconnected or inactive mailbox, files kept
// or pending deletion (Deleted, Success). Data purged or never
// provisioned shows nothing.
//
// Decision (Graph unconfirmed): Graph shows a service whose license was
// removed with capabilityStatus "Deleted"; allot does so while the
// service's data is kept, as the data lifecycle says.
func provisionedPlans(v userView) []provisionedPlan {
	out := []provisionedPlan{}
	var services []string
	for _, l := range v.u.Licenses {
		sku := v.c.SKU(l.SKUID)
		if sku == nil {
			continue
		}
		for _, p := range sku.Plans {
			if l.PlanEnabled(sku, p.ID) && !slices.Contains(services, p.Service) {
				services = append(services, p.Service)
				out = append(out, provisionedPlan{CapabilityStatus: "Enabled", ProvisioningStatus: "Success", Service: p.Service})
			}
		}
	}
	if v.data == nil {
		return out
	}
	kept := map[allot.DataKind]bool{
		allot.DataMailbox: v.data.Mailbox == allot.MailboxDisconnected || v.data.Mailbox == allot.MailboxInactive,
		allot.DataFiles:   v.data.Files == allot.FilesActive || v.data.Files == allot.FilesPendingDeletion,
	}
	for _, k := range []allot.DataKind{allot.DataMailbox, allot.DataFiles} {
		if s := dataServices[k]; kept[k] && !slices.Contains(services, s) {
			out = append(out, provisionedPlan{CapabilityStatus: "Deleted", ProvisioningStatus: "Success", Service: s})
		}
	}
	return out
}

// loadData reads the data state of the users rendered, when names select
// provisionedPlans or assignedPlans and the server has a data service.
func (s *Server) loadData(r *http.Request, names []string, views []userView) error {
	if s.svc.Data == nil || !slices.Contains(names, "provisionedPlans") && !slices.Contains(names, "assignedPlans") {
		return nil
	}
	for i := range views {
		d, err := s.svc.Data.FindUserData(r.Context(), principalFrom(r), views[i].u.ID)
		if allot.ErrorCode(err) == allot.ENOTFOUND {
			continue
		} else if err != nil {
			return err
		}
		views[i].data = d
	}
	return nil
}

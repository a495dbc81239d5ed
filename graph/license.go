package graph

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/allot-project/allot"
)

func (s *Server) registerLicenseRoutes() {
	for _, action := range []string{"assignLicense", "microsoft.graph.assignLicense"} {
		s.route("POST /v1.0/users/{id}/"+action, s.assignLicense)
		s.route("POST /v1.0/me/"+action, s.assignLicense)
	}
	s.route("GET /v1.0/users/{id}/licenseDetails", s.listLicenseDetails)
	s.route("GET /v1.0/me/licenseDetails", s.listLicenseDetails)
	s.route("GET /v1.0/users/{id}/licenseDetails/{detailsId}", s.getLicenseDetails)
	s.route("GET /v1.0/me/licenseDetails/{detailsId}", s.getLicenseDetails)
}

// pathUser returns the user a /users/{id}/… or /me/… request is about.
func pathUser(r *http.Request) string {
	if id := r.PathValue("id"); id != "" {
		return id
	}
	return principalFrom(r).UserID
}

// assignResponseProps are the user properties assignLicense answers with.
//
// Decision (Graph unconfirmed): id, displayName, userPrincipalName,
// usageLocation and assignedLicenses, which is what callers check.
var assignResponseProps = []string{"id", "displayName", "userPrincipalName", "usageLocation", "assignedLicenses"}

// assignLicense answers POST /users/{id}/assignLicense: 200 with the user.
// Both body parameters are required (either may be []), as in Graph.
func (s *Server) assignLicense(w http.ResponseWriter, r *http.Request) error {
	id := pathUser(r)
	infoFrom(r.Context()).target = id
	raw, err := s.readWriteBody(w, r)
	if err != nil {
		return err
	}
	ch, err := decodeLicenseChange(raw)
	if err != nil {
		return err
	}
	u, err := s.svc.Licenses.AssignLicenses(r.Context(), principalFrom(r), id, ch)
	if err != nil {
		return err
	}
	s.metrics.countAssignments(len(ch.Add), len(ch.Remove))
	return userType.fixedProps(assignResponseProps).writeEntity(w, r, "users", s.userView(u))
}

// decodeLicenseChange decodes an assignLicense body. Unknown properties
// are ignored, as Graph ignores them; a null parameter counts as missing.
func decodeLicenseChange(body []byte) (allot.LicenseChange, error) {
	var ch allot.LicenseChange
	obj, err := parseObject(body)
	if err != nil {
		return ch, err
	}
	m, _, err := obj.members([]string{"addLicenses", "removeLicenses"})
	if err != nil {
		return ch, err
	}
	var missing []string
	for _, name := range []string{"addLicenses", "removeLicenses"} {
		if raw, ok := m[name]; !ok || isNull(raw) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return ch, badRequest("One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: " + strings.Join(missing, ", ") + ".")
	}
	return licenseChangeFrom(m)
}

// licenseChangeFrom decodes the addLicenses and removeLicenses members,
// both present.
func licenseChangeFrom(m map[string]json.RawMessage) (allot.LicenseChange, error) {
	var ch allot.LicenseChange
	var err error
	if ch.Add, err = appendItems(ch.Add, "addLicenses", m["addLicenses"], decodeAssignedLicense); err != nil {
		return ch, err
	}
	ch.Remove, err = appendGUIDs(ch.Remove, "removeLicenses", m["removeLicenses"])
	return ch, err
}

// decodeAssignedLicense decodes item i of addLicenses.
func decodeAssignedLicense(i int, raw json.RawMessage) (allot.AssignedLicense, error) {
	var a allot.AssignedLicense
	obj, err := decodeObject("addLicenses", raw)
	if err != nil {
		return a, err
	}
	m, _, err := obj.members([]string{"skuId", "disabledPlans"})
	if err != nil {
		return a, err
	}
	sku, ok := m["skuId"]
	if !ok || isNull(sku) {
		return a, badRequest(fmt.Sprintf("Item %d of addLicenses has no skuId: every assignedLicense needs one.", i))
	}
	if a.SKUID, err = decodeGUID("skuId", sku); err != nil {
		return a, err
	}
	a.DisabledPlans = []string{}
	if plans, ok := m["disabledPlans"]; ok && !isNull(plans) {
		a.DisabledPlans, err = appendGUIDs(a.DisabledPlans, "disabledPlans", plans)
	}
	return a, err
}

// licenseDetail is what a licenseDetails is rendered from.
type licenseDetail struct {
	tenantID string
	l        allot.License
	sku      *allot.SKU
}

var licenseDetailsType = &entityType[licenseDetail]{
	name: "microsoft.graph.licenseDetails",
	props: map[string]func(licenseDetail) any{
		"id":            func(v licenseDetail) any { return licenseDetailsID(v.tenantID, v.l.SKUID) },
		"skuId":         func(v licenseDetail) any { return v.l.SKUID },
		"skuPartNumber": func(v licenseDetail) any { return v.sku.PartNumber },
		"servicePlans":  func(v licenseDetail) any { return servicePlans(v.sku, v.l.DisabledPlans) },
	},
	defaults: []string{"id", "skuId", "skuPartNumber", "servicePlans"},
}

// details returns the licenseDetails of a user's licenses; a SKU dropped
// from the catalog shows no part number and no plans.
func (s *Server) details(u *allot.User) []licenseDetail {
	out := make([]licenseDetail, 0, len(u.Licenses))
	for _, l := range u.Licenses {
		sku := s.catalog.SKU(l.SKUID)
		if sku == nil {
			sku = &allot.SKU{ID: l.SKUID}
		}
		out = append(out, licenseDetail{tenantID: u.TenantID, l: l, sku: sku})
	}
	return out
}

// listLicenseDetails answers /users/{id}/licenseDetails and
// /me/licenseDetails. A user may read its own; readers anyone's.
func (s *Server) listLicenseDetails(w http.ResponseWriter, r *http.Request) error {
	sel, u, err := s.licenseDetailsRequest(r)
	if err != nil {
		return err
	}
	if sel.sel == nil {
		return writeDefaultLicenseDetails(w, r, licenseDetailsPath(u), s.details(u))
	}
	return sel.writeCollection(w, r, licenseDetailsPath(u), s.details(u))
}

// writeDefaultLicenseDetails answers a user's licenseDetails with their
// default properties (no $select) by appending their JSON directly: the
// bytes that rendering licenseDetailsType through maps and writeJSON
// gives (members of maps in sorted order, a service plan's in its
// struct's, HTML not escaped), tested in license_test.go, without a map
// per service plan: an E3 has dozens, and W12 reads these thousands of
// times a second.
func writeDefaultLicenseDetails(w http.ResponseWriter, r *http.Request, path string, ds []licenseDetail) error {
	ctx := contextURL(r, path)
	n := 64 + len(ctx)
	for _, d := range ds {
		n += 200 + 160*len(d.sku.Plans)
	}
	b := appendJSONString(append(make([]byte, 0, n), `{"@odata.context":`...), ctx)
	b = append(b, `,"value":[`...)
	for i, d := range ds {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(append(b, `{"id":`...), licenseDetailsID(d.tenantID, d.l.SKUID))
		b = append(b, `,"servicePlans":[`...)
		for j, p := range servicePlans(d.sku, d.l.DisabledPlans) {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(append(b, `{"servicePlanId":`...), p.ServicePlanID)
			b = appendJSONString(append(b, `,"servicePlanName":`...), p.ServicePlanName)
			b = appendJSONString(append(b, `,"provisioningStatus":`...), p.ProvisioningStatus)
			b = appendJSONString(append(b, `,"appliesTo":`...), p.AppliesTo)
			b = append(b, '}')
		}
		b = appendJSONString(append(b, `],"skuId":`...), d.l.SKUID)
		b = appendJSONString(append(b, `,"skuPartNumber":`...), d.sku.PartNumber)
		b = append(b, '}')
	}
	b = append(b, "]}\n"...)
	writeJSONHeader(w, http.StatusOK)
	_, err := w.Write(b)
	return err
}

// getLicenseDetails answers one licenseDetails of a user by its id.
func (s *Server) getLicenseDetails(w http.ResponseWriter, r *http.Request) error {
	sel, u, err := s.licenseDetailsRequest(r)
	if err != nil {
		return err
	}
	detailsID := r.PathValue("detailsId")
	tenant, sku, ok := parseLicenseDetailsID(detailsID)
	for _, d := range s.details(u) {
		if ok && tenant == u.TenantID && sku == d.l.SKUID {
			return sel.writeEntity(w, r, licenseDetailsPath(u), d)
		}
	}
	return allot.Errorf(allot.ENOTFOUND, "Resource '%s' does not exist or one of its queried reference-property objects are not present.", truncate(detailsID, 100))
}

// licenseDetailsRequest reads the $select of a licenseDetails request and
// finds the user of its path.
func (s *Server) licenseDetailsRequest(r *http.Request) (selection[licenseDetail], *allot.User, error) {
	sel, err := parseSelect(r, licenseDetailsType)
	if err != nil {
		return sel, nil, err
	}
	u, err := s.findUserLicenses(r.Context(), principalFrom(r), pathUser(r))
	return sel, u, err
}

// licenseDetailsPath is the @odata.context path of u's licenseDetails.
func licenseDetailsPath(u *allot.User) string { return "users('" + u.ID + "')/licenseDetails" }

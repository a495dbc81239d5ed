package allot

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// DataKind says what user data a service plan holds, which decides what
// happens to that data when the plan's license goes away.
type DataKind string

// The kinds of data a service plan may hold.
const (
	DataNone    DataKind = "none"
	DataMailbox DataKind = "mailbox"
	DataFiles   DataKind = "files"
)

// Names holds a display name in each language allot speaks.
type Names struct {
	EN string `json:"en"`
	FR string `json:"fr"`
}

// In returns the name in language lang ("en" or "fr"), falling back to English.
func (n Names) In(lang string) string {
	if strings.HasPrefix(lang, "fr") && n.FR != "" {
		return n.FR
	}
	return n.EN
}

// ServicePlan is one service a SKU grants, such as a mailbox or file storage.
type ServicePlan struct {
	ID          string   `json:"id"`   // servicePlanId GUID, lower case
	Name        string   `json:"name"` // servicePlanName, e.g. EXCHANGE_S_STANDARD
	DisplayName Names    `json:"displayName"`
	Service     string   `json:"service"` // e.g. "exchange", "sharepoint"
	Data        DataKind `json:"data"`
}

// SKU is a product that can be bought and assigned: a bundle of service plans.
type SKU struct {
	ID          string         `json:"id"`         // skuId GUID, lower case
	PartNumber  string         `json:"partNumber"` // skuPartNumber, e.g. ENTERPRISEPACK
	DisplayName Names          `json:"displayName"`
	AppliesTo   string         `json:"appliesTo"` // "User" or "Company"
	PlanNames   []string       `json:"plans"`
	Plans       []*ServicePlan `json:"-"` // resolved from PlanNames

	// The offer's durations in days (see Offer); 0 or absent takes the
	// default: a 7-day cancellation window, 30-day trials, 30 days in
	// Warning and 90 days Suspended.
	CancellationDays int `json:"cancellationDays,omitempty"`
	TrialDays        int `json:"trialDays,omitempty"`
	WarningDays      int `json:"warningDays,omitempty"`
	SuspendedDays    int `json:"suspendedDays,omitempty"`

	// ruled are the positions in Plans of the plans some catalog rule
	// names: the only ones CheckLicenses looks at.
	ruled []int
	// holding are the positions in Plans of the plans that hold data: the
	// only ones the data rules look at (plansOf).
	holding []int
}

// HasPlan reports whether the SKU grants the plan with the given id.
// It is on every check and assignment path, so it compares ids as they
// are (the catalog stores them lower case) and lower-cases only a miss.
func (s *SKU) HasPlan(planID string) bool {
	for _, p := range s.Plans {
		if p.ID == planID {
			return true
		}
	}
	if lower := strings.ToLower(planID); lower != planID {
		return s.HasPlan(lower)
	}
	return false
}

// Plan returns the SKU's plan with the given id or name, or nil.
func (s *SKU) Plan(idOrName string) *ServicePlan {
	id := strings.ToLower(idOrName)
	for _, p := range s.Plans {
		if p.ID == id || strings.EqualFold(p.Name, idOrName) {
			return p
		}
	}
	return nil
}

// ExclusionRule says that no user may hold two of Plans enabled at once.
type ExclusionRule struct {
	Plans  []string `json:"plans"` // plan names
	Reason string   `json:"reason"`
}

// DependencyRule says that Plan needs at least one of RequiresAny enabled for
// the same user.
type DependencyRule struct {
	Plan        string   `json:"plan"`
	RequiresAny []string `json:"requiresAny"`
}

// Catalog is the set of products allot knows, shared by all tenants. It is
// immutable once loaded.
type Catalog struct {
	ServicePlans []*ServicePlan `json:"servicePlans"`
	SKUs         []*SKU         `json:"skus"`
	Rules        struct {
		MutuallyExclusive []ExclusionRule  `json:"mutuallyExclusive"`
		Dependencies      []DependencyRule `json:"dependencies"`
	} `json:"rules"`

	plansByID   map[string]*ServicePlan
	plansByName map[string]*ServicePlan
	skusByID    map[string]*SKU
	skusByPart  map[string]*SKU
}

//go:embed catalog.json
var demoCatalog []byte

// DemoCatalog returns the catalog embedded in the binary: Microsoft 365 SKUs
// with their public identifiers.
func DemoCatalog() *Catalog {
	c, err := ParseCatalog(strings.NewReader(string(demoCatalog)))
	if err != nil {
		panic("allot: embedded catalog is invalid: " + err.Error()) // caught by tests
	}
	return c
}

// LoadCatalog reads and validates a catalog file.
func LoadCatalog(path string) (*Catalog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := ParseCatalog(f)
	if err != nil {
		return nil, Errorf(EINVALID, "catalog %s: %s", path, strings.TrimPrefix(ErrorMessage(err), "catalog: "))
	}
	return c, nil
}

// ParseCatalog decodes a catalog in JSON and validates it: GUIDs well formed
// and unique, names unique, every referenced plan defined.
func ParseCatalog(r io.Reader) (*Catalog, error) {
	var c Catalog
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, Errorf(EINVALID, "catalog: %v", err)
	}
	if err := c.index(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Catalog) index() error {
	c.plansByID = map[string]*ServicePlan{}
	c.plansByName = map[string]*ServicePlan{}
	for _, p := range c.ServicePlans {
		p.ID = strings.ToLower(p.ID)
		if !IsGUID(p.ID) || p.Name == "" {
			return catalogError("", p.ID, []string{p.Name}, "catalog: service plan %q: needs a GUID id and a name", p.Name)
		}
		switch p.Data {
		case DataNone, DataMailbox, DataFiles:
		default:
			return catalogError("", p.ID, []string{p.Name}, "catalog: service plan %s: data must be none, mailbox or files", p.Name)
		}
		if c.plansByID[p.ID] != nil || c.plansByName[p.Name] != nil {
			return catalogError("", p.ID, []string{p.Name}, "catalog: service plan %s defined twice", p.Name)
		}
		c.plansByID[p.ID], c.plansByName[p.Name] = p, p
	}
	c.skusByID = map[string]*SKU{}
	c.skusByPart = map[string]*SKU{}
	for _, s := range c.SKUs {
		if err := c.indexSKU(s); err != nil {
			return err
		}
	}
	return c.checkRules()
}

func (c *Catalog) indexSKU(s *SKU) error {
	s.ID = strings.ToLower(s.ID)
	if !IsGUID(s.ID) || s.PartNumber == "" || s.DisplayName.EN == "" {
		return catalogError(s.ID, "", nil, "catalog: SKU %q: needs a GUID id, a part number and an English name", s.PartNumber)
	}
	if c.skusByID[s.ID] != nil || c.skusByPart[strings.ToUpper(s.PartNumber)] != nil {
		return catalogError(s.ID, "", nil, "catalog: SKU %s defined twice", s.PartNumber)
	}
	if s.AppliesTo == "" {
		s.AppliesTo = "User"
	}
	if min(s.CancellationDays, s.TrialDays, s.WarningDays, s.SuspendedDays) < 0 {
		return catalogError(s.ID, "", nil, "catalog: SKU %s: an offer's days cannot be negative", s.PartNumber)
	}
	if len(s.PlanNames) > 64 {
		e := catalogError(s.ID, "", nil, "catalog: SKU %s has %d service plans; at most 64 are supported", s.PartNumber, len(s.PlanNames))
		e.Count, e.Limit = len(s.PlanNames), 64
		return e
	}
	s.Plans = s.Plans[:0]
	for _, name := range s.PlanNames {
		p := c.plansByName[name]
		if p == nil {
			return catalogError(s.ID, "", []string{name}, "catalog: SKU %s: unknown service plan %s", s.PartNumber, name)
		}
		s.Plans = append(s.Plans, p)
	}
	s.holding = s.holding[:0]
	for i, p := range s.Plans {
		if p.Data != DataNone {
			s.holding = append(s.holding, i)
		}
	}
	c.skusByID[s.ID], c.skusByPart[strings.ToUpper(s.PartNumber)] = s, s
	return nil
}

func (c *Catalog) checkRules() error {
	for _, r := range c.Rules.MutuallyExclusive {
		if len(r.Plans) < 2 {
			return catalogError("", "", r.Plans, "catalog: an exclusion rule needs two plans or more")
		}
		for _, n := range r.Plans {
			if c.plansByName[n] == nil {
				return catalogError("", "", []string{n}, "catalog: exclusion rule names unknown plan %s", n)
			}
		}
	}
	for _, r := range c.Rules.Dependencies {
		for _, n := range append([]string{r.Plan}, r.RequiresAny...) {
			if c.plansByName[n] == nil {
				return catalogError("", "", []string{n}, "catalog: dependency rule names unknown plan %s", n)
			}
		}
		if len(r.RequiresAny) == 0 {
			return catalogError("", "", []string{r.Plan}, "catalog: dependency rule for %s requires nothing", r.Plan)
		}
	}
	c.markRuled()
	return nil
}

// markRuled records in each SKU which of its plans a rule names, so that
// CheckLicenses, on every assignment of every user of a bulk change, walks
// those few plans instead of all of a suite's.
func (c *Catalog) markRuled() {
	named := map[string]bool{}
	for _, r := range c.Rules.MutuallyExclusive {
		for _, n := range r.Plans {
			named[n] = true
		}
	}
	for _, r := range c.Rules.Dependencies {
		named[r.Plan] = true
		for _, n := range r.RequiresAny {
			named[n] = true
		}
	}
	for _, s := range c.SKUs {
		s.ruled = s.ruled[:0]
		for i, p := range s.Plans {
			if named[p.Name] {
				s.ruled = append(s.ruled, i)
			}
		}
	}
}

// SKU returns the SKU with the given skuId (any case), or nil. Ids are
// looked up as given first: those the stores and the index hold are in
// lower case already, and a bulk change at 100 k users asks about a
// million of them, where lower-casing each took 0.3 s of W5.
func (c *Catalog) SKU(id string) *SKU {
	if s, ok := c.skusByID[id]; ok {
		return s
	}
	return c.skusByID[strings.ToLower(id)]
}

// SKUByPartNumber returns the SKU with the given skuPartNumber (any case), or nil.
func (c *Catalog) SKUByPartNumber(part string) *SKU { return c.skusByPart[strings.ToUpper(part)] }

// FindSKU returns the SKU named by a skuId or a skuPartNumber, or nil.
func (c *Catalog) FindSKU(idOrPart string) *SKU {
	if s := c.SKU(idOrPart); s != nil {
		return s
	}
	return c.SKUByPartNumber(idOrPart)
}

// ServicePlan returns the plan with the given id or name, or nil.
func (c *Catalog) ServicePlan(idOrName string) *ServicePlan {
	if p := c.plansByID[strings.ToLower(idOrName)]; p != nil {
		return p
	}
	return c.plansByName[idOrName]
}

// catalogError is the EINVALID of a malformed catalog, naming the SKU,
// the service plan (by id) or the plans (by name) at fault.
func catalogError(skuID, planID string, plans []string, format string, args ...any) *Error {
	return &Error{Code: EINVALID, SKUID: skuID, PlanID: planID, Plans: plans, Message: fmt.Sprintf(format, args...)}
}

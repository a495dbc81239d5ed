package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/allot-project/allot"
	"github.com/allot-project/allot/sqlstore"
)

// The benchmark data set (docs/performance.md, "The data set") is generated
// from a fixed seed, so that every run, and the bench itself when it reuses
// a cached copy, knows every id without storing it: the generator is run
// again and yields the same tenants, users and licenses.

const (
	// benchSeed seeds the generator of the data set.
	benchSeed uint64 = 0x616c6c6f74 // "allot"
	// benchDataVersion changes whenever the generator does, so that a
	// cached data set of another shape is regenerated. Version 2 tags
	// service plans with data (tagDataPlans).
	benchDataVersion = 2
)

// Reserved SKU numbers of the big tenant; the others are "regular" SKUs
// that users hold at random.
const (
	benchSKUPopular   = iota // held by about 60 % of the users: W8's long list
	benchSKURemove           // held by users [0, B): W5 removes it
	benchSKUAdd              // held by nobody, B+100 seats: W6 adds it to users [B, 2B)
	benchSKURace             // held by nobody; W4 sets its seats
	benchSKUAssign           // held by nobody, a seat for everyone: W3
	benchSKUMixed            // likewise, for W9's assignments
	benchFirstRegular        // the first regular SKU
)

// benchSize is the shape of a data set.
type benchSize struct {
	Users       int `json:"users"` // in the big tenant
	SKUs        int `json:"skus"`
	Plans       int `json:"plans"` // distinct service plans
	PlansPerSKU int `json:"plansPerSKU"`
	Small       int `json:"small"` // small tenants
	SmallUsers  int `json:"smallUsers"`
}

func benchFullSize(users int) benchSize {
	return benchSize{Users: users, SKUs: 200, Plans: 1000, PlansPerSKU: 25, Small: 99, SmallUsers: 100}
}

func benchSmokeSize(users int) benchSize {
	return benchSize{Users: users, SKUs: 20, Plans: 100, PlansPerSKU: 8, Small: 5, SmallUsers: 20}
}

// benchData is what the workloads know of the data set.
type benchData struct {
	size      benchSize
	catalog   *allot.Catalog
	catalogJS []byte
	skuIDs    []string
	skuPlans  [][]string // service plan ids of each SKU
	skuPlanNo [][]int    // the same as numbers into planIDs
	planIDs   []string
	planNames []string
	big       benchTenant
	small     []benchTenant
	users     []benchUser // the big tenant's, in id order
	adminID   string      // the bench's service account (Global Administrator)
	adminUPN  string
	bulk      int   // B: the users of W5 and W6
	full      []int // SKUs with every seat taken
	suspended int   // a SKU whose only subscription is Suspended
	warning   int   // a SKU whose only subscription is in Warning
	consumed  []int // licenses per SKU in the big tenant, as generated
}

type benchTenant struct {
	id, name, domain string
	set              *sqlstore.ImportSet // only while importing
}

// benchUser is one user of the big tenant. It holds no pointer, so that a
// million of them cost the garbage collector nothing in the process under
// test.
type benchUser struct {
	key     [16]byte
	skus    [3]uint8
	n       uint8
	enabled bool
}

// id returns the user's id.
func (u *benchUser) id() string { return allot.GUID(u.key).String() }

// holds reports whether the user holds SKU number s.
func (u *benchUser) holds(s int) bool {
	return slices.Contains(u.skus[:u.n], uint8(s))
}

// upn returns the userPrincipalName of user i of the big tenant; the names
// sort like the ids.
func (d *benchData) upn(i int) string {
	return "u" + fmt.Sprintf("%07d", i) + "@" + d.big.domain
}

// benchCountries are the usage locations given to users.
var benchCountries = []string{"US", "FR", "DE", "GB", "JP", "CA", "AU", "NL", "ES", "IT", "BR", "IN", "SE", "CH", "BE"}

// benchEpoch is the creation time of everything generated.
var benchEpoch = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// generateBench computes the data set from the seed. With sets, it also
// builds the users with their licenses, ready for sqlstore.Import.
func generateBench(size benchSize, sets bool) *benchData {
	rng := rand.New(rand.NewPCG(benchSeed, benchDataVersion))
	d := &benchData{size: size}
	d.genCatalog(rng)
	d.big = benchTenant{id: benchGUID(rng), name: "Bench Big", domain: "big.bench.example"}
	d.bulk = min(100_000, size.Users/2)
	nFull := max(1, size.SKUs/20)
	for s := size.SKUs - nFull; s < size.SKUs; s++ {
		d.full = append(d.full, s)
	}
	d.suspended, d.warning = size.SKUs-nFull-1, size.SKUs-nFull-2
	d.genUsers(rng, sets)
	d.adminID, d.adminUPN = benchGUID(rng), "bench-admin@"+d.big.domain
	subs := d.bigSubscriptions(rng)
	if sets {
		d.big.set.Users = append(d.big.set.Users, &allot.User{ID: d.adminID, UserPrincipalName: d.adminUPN,
			DisplayName: "Bench service account", UsageLocation: "US", AccountEnabled: true, CreatedAt: benchEpoch})
		d.big.set.Subscriptions = subs
	}
	for t := 0; t < size.Small; t++ {
		d.small = append(d.small, d.genSmall(rng, t, sets))
	}
	return d
}

// benchGUID returns a random (version 4) GUID from rng.
func benchGUID(rng *rand.Rand) string {
	var b [16]byte
	benchPutGUID(rng, &b)
	return allot.GUID(b).String()
}

func benchPutGUID(rng *rand.Rand, b *[16]byte) {
	for i := 0; i < 16; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
}

// genCatalog makes Plans service plans and SKUs SKUs of PlansPerSKU
// distinct plans each, drawn from all the plans, so that SKUs share plans as real ones do.
func (d *benchData) genCatalog(rng *rand.Rand) {
	c := &allot.Catalog{}
	for i := range d.size.Plans {
		p := &allot.ServicePlan{ID: benchGUID(rng), Name: fmt.Sprintf("BENCH_PLAN_%04d", i),
			DisplayName: allot.Names{EN: fmt.Sprintf("Bench service %d", i), FR: fmt.Sprintf("Service de test %d", i)},
			Service:     "bench", Data: allot.DataNone}
		c.ServicePlans = append(c.ServicePlans, p)
		d.planIDs, d.planNames = append(d.planIDs, p.ID), append(d.planNames, p.Name)
	}
	for s := range d.size.SKUs {
		sku := &allot.SKU{ID: benchGUID(rng), PartNumber: fmt.Sprintf("BENCH_SKU_%03d", s), AppliesTo: "User",
			DisplayName: allot.Names{EN: fmt.Sprintf("Bench Product %03d", s), FR: fmt.Sprintf("Produit de test %03d", s)}}
		var plans []string
		nums := rng.Perm(d.size.Plans)[:d.size.PlansPerSKU]
		for _, k := range nums {
			sku.PlanNames = append(sku.PlanNames, d.planNames[k])
			plans = append(plans, d.planIDs[k])
		}
		c.SKUs = append(c.SKUs, sku)
		d.skuIDs, d.skuPlans, d.skuPlanNo = append(d.skuIDs, sku.ID), append(d.skuPlans, plans), append(d.skuPlanNo, nums)
	}
	d.tagDataPlans(c.ServicePlans)
	js, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		panic(err) // plain structs: cannot fail
	}
	if d.catalog, err = allot.ParseCatalog(bytes.NewReader(js)); err != nil {
		panic("bench catalog: " + err.Error()) // a bug of the generator
	}
	d.catalogJS = js
}

// tagDataPlans gives the SKUs W5 and W6 change a mailbox plan and a files
// plan each, as an E3 carries Exchange and SharePoint, so that the bulk
// changes run the data lifecycle (allot.NextUserData). Each takes the
// first of the SKU's plans not tagged yet, unless the SKU already carries
// one of that kind; it draws nothing from the generator. Plans are shared,
// so other SKUs drawing these carry data too, as real suites do.
func (d *benchData) tagDataPlans(plans []*allot.ServicePlan) {
	for _, s := range []int{benchSKURemove, benchSKUAdd} {
		for _, kind := range []allot.DataKind{allot.DataMailbox, allot.DataFiles} {
			if !slices.ContainsFunc(d.skuPlanNo[s], func(k int) bool { return plans[k].Data == kind }) {
				k := d.skuPlanNo[s][slices.IndexFunc(d.skuPlanNo[s], func(k int) bool { return plans[k].Data == allot.DataNone })]
				plans[k].Data = kind
			}
		}
	}
}

// genUsers makes the big tenant's users: ids drawn at random and sorted,
// so that user i is the i-th by id and by UPN (which also lets the import
// append to every index instead of inserting at random places), each
// holding 1 to 3 SKUs.
func (d *benchData) genUsers(rng *rand.Rand, sets bool) {
	n := d.size.Users
	ids := make([][16]byte, n)
	for i := range ids {
		benchPutGUID(rng, &ids[i])
	}
	slices.SortFunc(ids, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) })
	d.users = make([]benchUser, n)
	d.consumed = make([]int, d.size.SKUs)
	if sets {
		d.big.set = &sqlstore.ImportSet{Tenant: &allot.Tenant{ID: d.big.id, Name: d.big.name, Domain: d.big.domain, CreatedAt: benchEpoch}}
		d.big.set.Users = make([]*allot.User, 0, n+1)
	}
	regular := d.size.SKUs - benchFirstRegular
	for i := range d.users {
		u := &d.users[i]
		u.key = ids[i]
		u.enabled = rng.IntN(100) != 0 // 1 % have sign-in blocked
		want := 1 + rng.IntN(3)
		if i < d.bulk {
			u.add(benchSKURemove)
		}
		if rng.Float64() < 0.6 {
			u.add(benchSKUPopular)
		}
		for int(u.n) < want {
			u.add(benchFirstRegular + rng.IntN(regular))
		}
		country := benchCountries[rng.IntN(len(benchCountries))]
		var disabled [3]int // a plan of the license disabled, or -1
		for j := range int(u.n) {
			disabled[j] = -1
			if rng.IntN(20) == 0 {
				disabled[j] = rng.IntN(d.size.PlansPerSKU)
			}
			d.consumed[u.skus[j]]++
		}
		if sets {
			d.big.set.Users = append(d.big.set.Users, d.importUser(i, u, country, disabled))
		}
	}
}

// add gives the user SKU s unless it holds it.
func (u *benchUser) add(s int) {
	if !u.holds(s) {
		u.skus[u.n] = uint8(s)
		u.n++
	}
}

func (d *benchData) importUser(i int, bu *benchUser, country string, disabled [3]int) *allot.User {
	u := &allot.User{ID: bu.id(), UserPrincipalName: d.upn(i), DisplayName: "Bench User " + fmt.Sprintf("%07d", i),
		GivenName: "Bench", Surname: strconv.Itoa(i), UsageLocation: country, AccountEnabled: bu.enabled,
		CreatedAt: benchEpoch.Add(time.Duration(i) * time.Second)}
	for j := range int(bu.n) {
		l := allot.License{SKUID: d.skuIDs[bu.skus[j]], DisabledPlans: []string{}, AssignedAt: benchEpoch.Add(time.Duration(j) * time.Hour)}
		if disabled[j] >= 0 {
			l.DisabledPlans = []string{d.skuPlans[bu.skus[j]][disabled[j]]}
		}
		u.Licenses = append(u.Licenses, l)
	}
	return u
}

// bigSubscriptions gives the big tenant one subscription per SKU, sized
// for the workloads: full SKUs have exactly the seats in use, regular ones
// spare seats.
func (d *benchData) bigSubscriptions(rng *rand.Rand) []*allot.Subscription {
	var subs []*allot.Subscription
	for s, id := range d.skuIDs {
		used := d.consumed[s]
		sub := &allot.Subscription{ID: benchGUID(rng), SKUID: id, Status: allot.StatusEnabled, Quantity: used + used/10 + 100,
			RecurringBilling: true, OwnerType: allot.OwnerAdmin, CreatedAt: benchEpoch, NextLifecycleAt: benchEpoch.AddDate(1, 0, 0)}
		switch {
		case slices.Contains(d.full, s):
			sub.Quantity = used
		case s == d.suspended:
			sub.Status = allot.StatusSuspended
		case s == d.warning:
			sub.Status = allot.StatusWarning
		case s == benchSKUAdd:
			sub.Quantity = d.bulk + 100
		case s == benchSKURace:
			sub.Quantity = 1
		case s == benchSKUAssign || s == benchSKUMixed:
			sub.Quantity = d.size.Users
		}
		subs = append(subs, sub)
	}
	return subs
}

// genSmall makes small tenant t: its users hold 1 to 3 of 20 regular SKUs,
// each with spare seats.
func (d *benchData) genSmall(rng *rand.Rand, t int, sets bool) benchTenant {
	bt := benchTenant{id: benchGUID(rng), name: fmt.Sprintf("Bench Small %02d", t), domain: fmt.Sprintf("small%02d.bench.example", t)}
	offered := min(20, d.size.SKUs-benchFirstRegular)
	used := make([]int, d.size.SKUs)
	var users []*allot.User
	for i := range d.size.SmallUsers {
		u := &allot.User{ID: benchGUID(rng), UserPrincipalName: fmt.Sprintf("user%03d@%s", i, bt.domain), DisplayName: fmt.Sprintf("Small User %03d", i),
			UsageLocation: benchCountries[rng.IntN(len(benchCountries))], AccountEnabled: true, CreatedAt: benchEpoch}
		var bu benchUser
		for want := 1 + rng.IntN(3); int(bu.n) < want; {
			bu.add(benchFirstRegular + rng.IntN(offered))
		}
		for j := range int(bu.n) {
			used[bu.skus[j]]++
			u.Licenses = append(u.Licenses, allot.License{SKUID: d.skuIDs[bu.skus[j]], DisabledPlans: []string{}, AssignedAt: benchEpoch})
		}
		users = append(users, u)
	}
	if sets {
		bt.set = &sqlstore.ImportSet{Tenant: &allot.Tenant{ID: bt.id, Name: bt.name, Domain: bt.domain, CreatedAt: benchEpoch}, Users: users}
		for s := benchFirstRegular; s < benchFirstRegular+offered; s++ {
			bt.set.Subscriptions = append(bt.set.Subscriptions, &allot.Subscription{ID: benchGUID(rng), SKUID: d.skuIDs[s], Status: allot.StatusEnabled,
				Quantity: used[s] + 10, OwnerType: allot.OwnerAdmin, CreatedAt: benchEpoch, NextLifecycleAt: benchEpoch.AddDate(1, 0, 0)})
		}
	} else {
		for s := benchFirstRegular; s < benchFirstRegular+offered; s++ {
			benchGUID(rng) // the subscription ids, drawn to stay in step
		}
	}
	return bt
}

// benchMarker describes a generated data set in DIR/dataset.json; a cached
// data set is reused only when it matches.
type benchMarker struct {
	Seed       uint64    `json:"seed"`
	Version    int       `json:"version"`
	Schema     int       `json:"schema"`
	PageSize   int       `json:"pageSize"` // SQLite's, fixed when the file is created
	Size       benchSize `json:"size"`
	Generated  time.Time `json:"generated"`
	GenSeconds float64   `json:"generationSeconds"`
}

// prepareBenchData returns the data set of size in dir, generating it into
// dir/allot.db unless a matching one is there, and says how long the
// generation took (0 when reused).
func prepareBenchData(ctx context.Context, dir string, size benchSize, logf func(string, ...any)) (*benchData, time.Duration, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, err
	}
	schema, err := benchSchema(ctx, dir)
	if err != nil {
		return nil, 0, err
	}
	want := benchMarker{Seed: benchSeed, Version: benchDataVersion, Schema: schema, PageSize: sqlstore.PageSize, Size: size}
	markerPath, dbPath := filepath.Join(dir, "dataset.json"), filepath.Join(dir, "allot.db")
	var have benchMarker
	if b, err := os.ReadFile(markerPath); err == nil && json.Unmarshal(b, &have) == nil &&
		have.Seed == want.Seed && have.Version == want.Version && have.Schema == want.Schema && have.PageSize == want.PageSize && have.Size == want.Size {
		if _, err := os.Stat(dbPath); err == nil {
			logf("reusing the data set in %s (generated %s in %.1fs)", dir, have.Generated.Format(time.RFC3339), have.GenSeconds)
			d := generateBench(size, false)
			return d, 0, os.WriteFile(filepath.Join(dir, "catalog.json"), d.catalogJS, 0o644)
		}
	}
	logf("generating the data set (%d users in the big tenant) in %s", size.Users, dir)
	start := time.Now()
	os.Remove(markerPath)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, 0, err
		}
	}
	d := generateBench(size, true)
	if err := os.WriteFile(filepath.Join(dir, "catalog.json"), d.catalogJS, 0o644); err != nil {
		return nil, 0, err
	}
	logf("generated in memory in %s; importing", time.Since(start).Round(time.Millisecond))
	if err := importBench(ctx, dbPath, d); err != nil {
		return nil, 0, err
	}
	took := time.Since(start)
	want.Generated, want.GenSeconds = time.Now().UTC(), took.Seconds()
	b, _ := json.MarshalIndent(want, "", "  ")
	logf("data set ready in %s", took.Round(time.Millisecond))
	return d, took, os.WriteFile(markerPath, b, 0o644)
}

// importBench loads the data set into a new SQLite (or PostgreSQL, for a
// URL) database: one sqlstore.Import per tenant, then the service
// account's role. The generated users are dropped as each tenant is in.
func importBench(ctx context.Context, dsn string, d *benchData) error {
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Catalog: d.catalog, Synchronous: "NORMAL", Now: func() time.Time { return benchEpoch }})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Import(ctx, *d.big.set); err != nil {
		return fmt.Errorf("import the big tenant: %w", err)
	}
	d.big.set = nil
	for i := range d.small {
		if err := db.Import(ctx, *d.small[i].set); err != nil {
			return fmt.Errorf("import %s: %w", d.small[i].domain, err)
		}
		d.small[i].set = nil
	}
	return db.AssignRole(ctx, allot.SystemPrincipal(d.big.id, "allot bench"), d.adminID, allot.RoleGlobalAdmin)
}

// benchSchema returns the schema version this binary migrates SQLite
// databases to, read from a scratch database.
func benchSchema(ctx context.Context, dir string) (int, error) {
	tmp, err := os.MkdirTemp(dir, "schema-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "scratch.db")
	db, err := sqlstore.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		return 0, err
	}
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer raw.Close()
	var v int
	err = raw.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	return v, err
}

// benchCopyFile copies src to dst, replacing it.
func benchCopyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	// On disk before anything is measured: otherwise the kernel writes the
	// copy back (1.3 GB at 1 M users) while the first workload syncs.
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

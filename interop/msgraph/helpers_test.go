package msgraph_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// The demo tenant's well-known values (see the repository's demo package).
const (
	domain   = "contoso.example"
	adminUPN = "admin@" + domain
)

var (
	skuBusinessPremium = uuid.MustParse("cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46") // SPB
	skuOffice365E3     = uuid.MustParse("6fd2c87f-b296-42f0-b197-1e91e994b900") // ENTERPRISEPACK
	skuExchangePlan1   = uuid.MustParse("4b9405b0-7788-4568-add1-99614e613b69") // EXCHANGESTANDARD
)

func ptr[T any](v T) *T { return &v }

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func i32(p *int32) int32 {
	if p == nil {
		return -1
	}
	return *p
}

// newUserBody is a user as the Graph docs create one; usageLocation "" is
// left out of the request.
func newUserBody(alias, usageLocation string) models.Userable {
	u := models.NewUser()
	u.SetAccountEnabled(ptr(true))
	u.SetDisplayName(ptr("Interop " + alias))
	u.SetMailNickname(ptr(alias))
	u.SetUserPrincipalName(ptr(alias + "@" + domain))
	if usageLocation != "" {
		u.SetUsageLocation(ptr(usageLocation))
	}
	p := models.NewPasswordProfile()
	p.SetForceChangePasswordNextSignIn(ptr(true))
	p.SetPassword(ptr("xWwvJ]6NMw+bWH-d"))
	u.SetPasswordProfile(p)
	return u
}

// createUser creates a user and checks the answer names it.
func createUser(ctx context.Context, t *testing.T, c *msgraphsdk.GraphServiceClient, alias, usageLocation string) models.Userable {
	t.Helper()
	u, err := c.Users().Post(ctx, newUserBody(alias, usageLocation), nil)
	if err != nil {
		t.Fatalf("POST /users %s: %s", alias, describe(err))
	}
	if u.GetId() == nil || *u.GetId() == "" {
		t.Fatalf("POST /users %s: created user has no id", alias)
	}
	if got, want := str(u.GetUserPrincipalName()), alias+"@"+domain; !strings.EqualFold(got, want) {
		t.Fatalf("POST /users: userPrincipalName = %q, want %q", got, want)
	}
	return u
}

// assign calls assignLicense with add (no disabled plans) and remove, both
// always sent, as Graph requires.
func assign(ctx context.Context, c *msgraphsdk.GraphServiceClient, user string, add, remove []uuid.UUID) (models.Userable, error) {
	body := users.NewItemAssignLicensePostRequestBody()
	adds := []models.AssignedLicenseable{}
	for _, id := range add {
		l := models.NewAssignedLicense()
		l.SetSkuId(ptr(id))
		l.SetDisabledPlans([]uuid.UUID{})
		adds = append(adds, l)
	}
	body.SetAddLicenses(adds)
	if remove == nil {
		remove = []uuid.UUID{}
	}
	body.SetRemoveLicenses(remove)
	return c.Users().ByUserId(user).AssignLicense().Post(ctx, body, nil)
}

// findSKU reads subscribedSkus and returns the one with skuId id.
func findSKU(ctx context.Context, t *testing.T, c *msgraphsdk.GraphServiceClient, id uuid.UUID) models.SubscribedSkuable {
	t.Helper()
	resp, err := c.SubscribedSkus().Get(ctx, nil)
	if err != nil {
		t.Fatalf("GET /subscribedSkus: %s", describe(err))
	}
	for _, s := range resp.GetValue() {
		if s.GetSkuId() != nil && *s.GetSkuId() == id {
			return s
		}
	}
	t.Fatalf("GET /subscribedSkus: no skuId %s among %d SKUs", id, len(resp.GetValue()))
	return nil
}

// hasSKU reports whether the licenses include id.
func hasSKU(ls []models.AssignedLicenseable, id uuid.UUID) bool {
	for _, l := range ls {
		if l.GetSkuId() != nil && *l.GetSkuId() == id {
			return true
		}
	}
	return false
}

// errorText calls err.Error(), which panics in the SDK when the server's
// error body has no message, and reports the panic instead.
func errorText(err error) (s string, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			s, panicked = fmt.Sprintf("err.Error() panicked: %v", r), true
		}
	}()
	return err.Error(), false
}

// describe renders an SDK error with its status and Graph code.
func describe(err error) string {
	if err == nil {
		return "<nil>"
	}
	var oerr *odataerrors.ODataError
	if errors.As(err, &oerr) {
		msg, _ := errorText(err)
		code := "<no error object>"
		if e := oerr.GetErrorEscaped(); e != nil {
			code = str(e.GetCode())
		}
		return fmt.Sprintf("HTTP %d %s: %s", oerr.ResponseStatusCode, code, msg)
	}
	msg, _ := errorText(err)
	return fmt.Sprintf("%T: %s", err, msg)
}

// wantODataError checks err is an *ODataError with the status and code and
// a message containing every one of parts (case-insensitively).
func wantODataError(t *testing.T, what string, err error, status int, code string, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want HTTP %d %s", what, status, code)
		return
	}
	var oerr *odataerrors.ODataError
	if !errors.As(err, &oerr) {
		t.Errorf("%s: error %s is not an *odataerrors.ODataError (error body not Graph JSON?)", what, describe(err))
		return
	}
	msg, panicked := errorText(err)
	if panicked {
		t.Errorf("%s: %s (error body lacks error.message)", what, msg)
	}
	e := oerr.GetErrorEscaped()
	if e == nil {
		t.Errorf("%s: ODataError without an error object", what)
		return
	}
	if oerr.ResponseStatusCode != status || str(e.GetCode()) != code {
		t.Errorf("%s: got HTTP %d code %q (message %q), want HTTP %d code %q",
			what, oerr.ResponseStatusCode, str(e.GetCode()), str(e.GetMessage()), status, code)
	}
	for _, p := range parts {
		if !strings.Contains(strings.ToLower(str(e.GetMessage())), strings.ToLower(p)) {
			t.Errorf("%s: message %q does not mention %q", what, str(e.GetMessage()), p)
		}
	}
}

// listUsers runs a users query and returns every user of every page, the
// first page's @odata.count and the number of pages.
func listUsers(ctx context.Context, t *testing.T, c *msgraphsdk.GraphServiceClient, q *users.UsersRequestBuilderGetQueryParameters, advanced bool) (all []models.Userable, count *int64, pages int) {
	t.Helper()
	cfg := &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: q}
	h := abstractions.NewRequestHeaders()
	if advanced {
		h.Add("ConsistencyLevel", "eventual")
		cfg.Headers = h
	}
	resp, err := c.Users().Get(ctx, cfg)
	if err != nil {
		t.Fatalf("GET /users $filter=%s: %s", str(q.Filter), describe(err))
	}
	count = resp.GetOdataCount()
	registerPageErrors()
	it, err := msgraphgocore.NewPageIterator[models.Userable](resp, c.GetAdapter(), models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatalf("NewPageIterator: %v", err)
	}
	// Like PowerShell's -All, send the advanced-query header with every page.
	it.SetHeaders(h)
	pages = 1
	last := it.GetOdataNextLink()
	err = it.Iterate(ctx, func(u models.Userable) bool {
		if next := it.GetOdataNextLink(); next != last {
			pages, last = pages+1, next
		}
		all = append(all, u)
		return true
	})
	if err != nil {
		t.Fatalf("paging GET /users $filter=%s after %d users: %s", str(q.Filter), len(all), describe(err))
	}
	return all, count, pages
}

var pageErrorsOnce sync.Once

// registerPageErrors makes the PageIterator turn error answers for later
// pages into *odataerrors.ODataError, as the request builders do for the
// first page; without it they are bare ApiErrors with no message.
func registerPageErrors() {
	pageErrorsOnce.Do(func() {
		_ = msgraphgocore.RegisterError(msgraphgocore.PageIteratorErrorRegistryKey, abstractions.ErrorMappings{
			"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue,
		})
	})
}

// forEach runs fn(i) for i in [0, n) on workers goroutines and returns the
// first error.
func forEach(n, workers int, fn func(i int) error) error {
	jobs := make(chan int)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return first
}

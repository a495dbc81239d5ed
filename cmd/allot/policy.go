package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/allot-project/allot/client"
	"github.com/allot-project/allot/cmd/internal/cli"
	"github.com/allot-project/allot/graph"
)

const policyUsage = `Usage: allot policy self-service [SKU] [allowed|trials|denied] [--dry-run]

Policy shows and sets the tenant's policies. self-service says, per
product, whether ordinary users may buy it for themselves and colleagues:

	allowed  paid subscriptions and trials
	trials   trials only
	denied   not at all (the default)

Without SKU it lists every product's policy; with SKU alone (skuPartNumber
or skuId) it shows that product's; with a policy it sets it (Billing or
Global Administrators). Administrators cannot assign a self-service
purchase's licenses until they take it over (allot subscriptions takeover).

The server is $ALLOT_URL and the token $ALLOT_TOKEN (or --url, --token).

Examples:

	allot policy self-service
	allot policy self-service O365_BUSINESS_ESSENTIALS trials
`

// parsePolicy dispatches to "policy self-service", its one subcommand.
func (m *Main) parsePolicy(args []string) (command, error) {
	g := &cli.Group[command]{Name: "policy", Usage: policyUsage, Subcommands: []cli.Subcommand[command]{
		{Name: "self-service", Parse: m.parsePolicySelfService},
	}}
	return g.Dispatch(m.Stdout, m.Stderr, args)
}

// policyCommand is "allot policy self-service".
type policyCommand struct {
	remote      *remote
	cl          *client.Client
	sku, policy string
	dryRun      bool
}

func (m *Main) parsePolicySelfService(args []string) (command, error) {
	fs := newFlagSet("policy self-service")
	c := &policyCommand{remote: m.remoteFlags(fs)}
	fs.BoolVar(&c.dryRun, "dry-run", false, "check the policy, set nothing")
	if err := m.parseFlags(fs, policyUsage, args); err != nil {
		return nil, err
	}
	if err := c.parseArgs(fs); err != nil {
		return nil, err
	}
	if err := c.remote.finish("policy self-service"); err != nil {
		return nil, err
	}
	var err error
	c.cl, err = c.remote.client("policy self-service")
	return c, err
}

// parseArgs reads [SKU] [POLICY].
func (c *policyCommand) parseArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 2 {
		return &usageError{Msg: fmt.Sprintf("policy self-service takes at most SKU and a policy, got %d arguments (run 'allot policy -h' for usage)", fs.NArg())}
	}
	c.sku, c.policy = fs.Arg(0), fs.Arg(1)
	switch c.policy {
	case "", "allowed", "trials", "denied":
		return nil
	}
	return &usageError{Msg: fmt.Sprintf("policy self-service: the policy is allowed, trials or denied, not %q", c.policy)}
}

func (c *policyCommand) run(ctx context.Context) error {
	out := c.remote.m.Stdout
	if c.policy != "" {
		p, err := c.cl.SetSelfServicePolicy(ctx, c.sku, graph.PolicyPatch{Policy: c.policy, DryRun: c.dryRun})
		if err != nil {
			return err
		}
		if c.remote.json() {
			return writeJSON(out, p)
		}
		done := "set"
		if c.dryRun {
			done = "would set"
		}
		_, err = fmt.Fprintf(out, "allot: %s the self-service policy of %s to %s\n", done, p.ProductName, p.Policy)
		return err
	}
	pols, err := c.cl.SelfServicePolicies(ctx)
	if err != nil {
		return err
	}
	if c.sku != "" {
		pols = c.only(pols)
		if len(pols) == 0 {
			return fmt.Errorf("unknown product %q: give a skuPartNumber or skuId of the catalog", c.sku)
		}
	}
	if c.remote.json() {
		return writeJSON(out, pols)
	}
	t := newTable(out, "PRODUCT", "SKU", "SELF-SERVICE")
	for _, p := range pols {
		t.row(p.ProductName, p.SKUPartNumber, p.Policy)
	}
	return t.flush()
}

// only keeps the policy of the product c.sku names.
func (c *policyCommand) only(pols []graph.ProductPolicyInfo) []graph.ProductPolicyInfo {
	for _, p := range pols {
		if strings.EqualFold(p.SKUPartNumber, c.sku) || strings.EqualFold(p.SKUID, c.sku) {
			return []graph.ProductPolicyInfo{p}
		}
	}
	return nil
}

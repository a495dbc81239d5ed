package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// page is one page of a Graph collection.
type page struct {
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"@odata.nextLink"`
}

// List reads a collection from rawURL, following @odata.nextLink until the
// end or until limit items (0: no limit). A nextLink to another origin is
// refused, so that the token is never sent there.
func (c *Client) List(ctx context.Context, rawURL string, hdr http.Header, limit int) ([]json.RawMessage, error) {
	var all []json.RawMessage
	for rawURL != "" {
		var p page
		if err := c.Get(ctx, rawURL, hdr, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Value...)
		if limit > 0 && len(all) >= limit {
			return all[:limit], nil
		}
		if p.NextLink != "" && !c.SameOrigin(p.NextLink) {
			return nil, fmt.Errorf("the server's next page link %q leaves %s; refusing to send the token there", p.NextLink, c.Base)
		}
		rawURL = p.NextLink
	}
	return all, nil
}

// DecodeAll decodes the raw JSON items of a collection into values of
// type T.
func DecodeAll[T any](raws []json.RawMessage) ([]T, error) {
	out := make([]T, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, fmt.Errorf("item %d of the answer is not the JSON expected: %v", i, err)
		}
	}
	return out, nil
}

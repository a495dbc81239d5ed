package allot

import "testing"

// TestUserOrder checks the orders a user listing accepts and the sort key
// a page's cursor carries.
func TestUserOrder(t *testing.T) {
	u := &User{DisplayName: "Émile ZOLA", UserPrincipalName: "Emile@Contoso.example"}
	tests := []struct {
		name    string
		order   UserOrder
		wantErr bool
		key     string
		desc    bool
	}{
		{"by id", UserOrderID, false, "", false},
		{"by name", UserOrderName, false, "émile zola", false},
		{"by name, descending", UserOrderNameDesc, false, "émile zola", true},
		{"by UPN", UserOrderUPN, false, "emile@contoso.example", false},
		{"by UPN, descending", UserOrderUPNDesc, false, "emile@contoso.example", true},
		{"unknown", "age", true, "", false},
		{"unknown descending", "-id", true, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := UserFilter{Order: tt.order}
			err := f.Validate()
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && ErrorCode(err) != EINVALID {
				t.Errorf("Validate() code %s, want %s", ErrorCode(err), EINVALID)
			}
			if got := tt.order.Key(u); got != tt.key {
				t.Errorf("Key() = %q, want %q", got, tt.key)
			}
			if got := tt.order.Desc(); got != tt.desc {
				t.Errorf("Desc() = %v, want %v", got, tt.desc)
			}
		})
	}
}

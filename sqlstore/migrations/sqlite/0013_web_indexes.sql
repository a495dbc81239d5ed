-- A product's users listed by display name either way, paged by keyset on
-- (display_lower, user_id) (allot.UserOrder, userQuery); a name search
-- reads its range. By userPrincipalName, users_upn (unique) serves.
CREATE INDEX users_name_order ON users (tenant_id, display_lower, user_id) WHERE deleted_at IS NULL;

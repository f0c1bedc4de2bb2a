-- 0006_service_token_scopes: what each service token may do.
--
-- Scopes are space-separated names (keys:verify, keys:read, ..., all).
-- Every token made before scopes verified keys and nothing else, so the
-- default keeps it doing exactly that.
ALTER TABLE service_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'keys:verify' CHECK (scopes <> '');

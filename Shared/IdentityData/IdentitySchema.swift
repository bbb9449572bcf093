import Postgres

/// The schema of the `identity` database, which auth and user share (see ``ServiceName/databaseName``).
///
/// auth writes accounts (the profile row and its credentials in one transaction) and refresh tokens; user owns the
/// profile fields, contacts and blocks. Both services declare these same migrations. The migrator records versions
/// per service, so each migration runs once under auth's name and once under user's, serialised by its advisory
/// lock: every statement here must therefore be idempotent (`IF NOT EXISTS`), including those of later versions.
public enum IdentitySchema {
    /// The migrations, oldest first. Versions only grow; an applied migration is never edited.
    public static let migrations: [PostgresMigration] = [
        PostgresMigration(
            version: 1, name: "users, credentials, refresh tokens, contacts and blocks",
            sql: """
                CREATE TABLE IF NOT EXISTS users (
                    id text PRIMARY KEY,
                    username text NOT NULL,
                    username_lower text NOT NULL UNIQUE,
                    display_name text NOT NULL,
                    bio text,
                    avatar_url text,
                    avatar_attachment_id text,
                    created_at timestamptz NOT NULL DEFAULT now()
                );
                -- Case-insensitive prefix search (`LIKE 'abc%'`) on username and display name.
                CREATE INDEX IF NOT EXISTS users_username_prefix ON users (username_lower text_pattern_ops);
                CREATE INDEX IF NOT EXISTS users_display_name_prefix ON users (lower(display_name) text_pattern_ops);

                CREATE TABLE IF NOT EXISTS credentials (
                    user_id text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
                    password_hash text NOT NULL,
                    updated_at timestamptz NOT NULL DEFAULT now()
                );

                -- A login starts a family; every refresh rotates to a new token of the same family. Revoking the family
                -- (reuse of a spent token, logout) ends every token of it, including ones issued later.
                CREATE TABLE IF NOT EXISTS refresh_token_families (
                    id text PRIMARY KEY,
                    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    expires_at timestamptz NOT NULL,
                    revoked_at timestamptz,
                    revoked_reason text
                );
                CREATE INDEX IF NOT EXISTS refresh_token_families_user ON refresh_token_families (user_id);

                -- Only the SHA-256 (hex) of each token is stored.
                CREATE TABLE IF NOT EXISTS refresh_tokens (
                    token_hash text PRIMARY KEY,
                    family_id text NOT NULL REFERENCES refresh_token_families (id) ON DELETE CASCADE,
                    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    issued_at timestamptz NOT NULL DEFAULT now(),
                    expires_at timestamptz NOT NULL,
                    used_at timestamptz
                );
                CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family_id);

                CREATE TABLE IF NOT EXISTS contacts (
                    owner_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    contact_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (owner_id, contact_id)
                );

                CREATE TABLE IF NOT EXISTS blocks (
                    blocker_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    blocked_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (blocker_id, blocked_id)
                );
                CREATE INDEX IF NOT EXISTS blocks_blocked ON blocks (blocked_id);
                """)
    ]
}

import ServiceDatabase

extension ChatCommand {
    /// The schema of the `chat` database, oldest first. Versions only grow; an applied migration is never edited,
    /// a change is a new migration. Applied by `chat migrate` and at start (CHAT_MIGRATE_ON_START).
    ///
    /// Conversations and memberships live here; messages live in DocumentDB (see ``MessageStore``).
    static let migrations: [PostgresMigration] = [
        PostgresMigration(
            version: 1, name: "conversations and members",
            sql: """
                CREATE TABLE conversations (
                    id text PRIMARY KEY,
                    type text NOT NULL CHECK (type IN ('direct', 'group')),
                    title text,
                    -- For direct conversations: the two user ids, sorted and joined, so a pair has one conversation.
                    direct_key text UNIQUE,
                    created_by text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    last_seq bigint NOT NULL DEFAULT 0,
                    last_message jsonb
                );
                CREATE TABLE members (
                    conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
                    user_id text NOT NULL,
                    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
                    joined_at timestamptz NOT NULL DEFAULT now(),
                    read_seq bigint NOT NULL DEFAULT 0,
                    PRIMARY KEY (conversation_id, user_id)
                );
                CREATE INDEX members_by_user ON members (user_id);
                """),
        PostgresMigration(
            version: 2, name: "attachments",
            sql: """
                CREATE TABLE attachments (
                    id text PRIMARY KEY,
                    conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
                    uploader_id text NOT NULL,
                    file_name text NOT NULL,
                    content_type text NOT NULL,
                    size bigint NOT NULL,
                    object_key text NOT NULL,
                    -- Set once a HEAD on the object found it with the declared size.
                    uploaded boolean NOT NULL DEFAULT false,
                    created_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX attachments_by_conversation ON attachments (conversation_id);
                """),
        PostgresMigration(
            version: 3, name: "both members of a direct conversation are members",
            sql: """
                UPDATE members m SET role = 'member'
                FROM conversations c WHERE c.id = m.conversation_id AND c.type = 'direct' AND m.role <> 'member';
                """),
    ]
}

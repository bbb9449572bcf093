import ServiceDatabase

extension NotificationCommand {
    /// The schema of the `notification` database, oldest first. Versions only grow; an applied migration is never edited,
    /// a change is a new migration. Applied by `notification migrate` and at start (CHAT_MIGRATE_ON_START).
    ///
    /// - `notifications`: one row per user and thing to tell them; the unique key (user, conversation, seq, type) makes
    ///   a redelivered event insert nothing (membership notifications use seq 0).
    ///   `traceparent` is the W3C trace context of the event it came from (null when tracing was off): its pushes
    ///   continue that trace.
    /// - `mutes`: conversations a user muted.
    /// - `push_targets`: a user's webhooks with the secret their pushes are signed with.
    /// - `push_deliveries`: the outbox of pushes still to make, one row per notification and target, written in the
    ///   statement that stores the notification and deleted once the push succeeded, failed for good or its target is
    ///   gone. `delivery_id` is derived from both ids, so every attempt of one push carries the same id.
    static let migrations: [PostgresMigration] = [
        PostgresMigration(
            version: 1, name: "notifications, mutes, push targets and the push outbox",
            sql: """
                CREATE TABLE notifications (
                    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                    user_id text NOT NULL,
                    type text NOT NULL CHECK (type IN ('message', 'mention', 'added_to_conversation')),
                    conversation_id text NOT NULL,
                    seq bigint NOT NULL,
                    actor_id text NOT NULL,
                    preview text NOT NULL,
                    created_at timestamptz NOT NULL,
                    read_at timestamptz,
                    CONSTRAINT notifications_once UNIQUE (user_id, conversation_id, seq, type)
                );
                CREATE INDEX notifications_newest_first ON notifications (user_id, created_at DESC, id DESC);
                CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

                CREATE TABLE mutes (
                    user_id text NOT NULL,
                    conversation_id text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (conversation_id, user_id)
                );

                CREATE TABLE push_targets (
                    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                    user_id text NOT NULL,
                    url text NOT NULL,
                    secret text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX push_targets_by_user ON push_targets (user_id, created_at);

                CREATE TABLE push_deliveries (
                    notification_id uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
                    target_id uuid NOT NULL REFERENCES push_targets (id) ON DELETE CASCADE,
                    delivery_id uuid NOT NULL UNIQUE,
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at timestamptz NOT NULL DEFAULT now(),
                    last_error text,
                    PRIMARY KEY (notification_id, target_id)
                );
                CREATE INDEX push_deliveries_due ON push_deliveries (next_attempt_at);
                CREATE INDEX push_deliveries_by_target ON push_deliveries (target_id);
                """),
        PostgresMigration(
            version: 2, name: "the trace a notification continues",
            sql: """
                ALTER TABLE notifications ADD COLUMN traceparent text;
                """),
    ]
}

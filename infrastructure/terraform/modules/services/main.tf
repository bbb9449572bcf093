# The five services in one place: ports, databases, Kafka topics, S3 prefixes and which one is public. The ecs, iam
# and monitoring modules and the platform module read this catalogue, so a new topic is declared once.
#
# Only the api-gateway is public: it checks access tokens, signs the caller's identity (X-Chat-Identity, HMAC with
# CHAT_INTERNAL_SECRET) and applies the rate limits, and the other services refuse requests without that identity.
# The ALB sends every path to it (/v1/ws WebSocket upgrades included); the others are reachable only inside the VPC,
# through their Cloud Map names (the gateway's CHAT_UPSTREAM_*).
#
# Kafka topics (Shared/Kafka/KafkaTopic.swift defines them and their partitions): chat.messages (12), chat.events (6),
# notification.dead-letter (3) and identity.events (3: auth's session revocations on logout, read by every chat
# instance so that it closes that session's WebSockets). Consumer groups start with the consuming service's name
# (the iam module grants `group/<service>*`): notification's instances share the group `notification`; each chat
# instance reads every record in a group of its own, `chat-fanout-<instance>`.

locals {
  catalogue = {
    "api-gateway" = {
      port          = 8080
      database      = "gateway"
      kafka_produce = []
      kafka_consume = []
      s3_prefixes   = []
      # The ALB's only target: every request, the listener's default action.
      public = true
    }
    auth = {
      port = 8081
      # auth and user share the identity database (ServiceName.databaseName): auth writes the account and its
      # profile row in one transaction; user owns the profile fields, contacts and blocks.
      database = "identity"
      # Session revocations (logout), so that every chat instance closes the session's WebSockets.
      kafka_produce = ["identity.events"]
      kafka_consume = []
      s3_prefixes   = []
      public        = false
    }
    user = {
      port          = 8082
      database      = "identity"
      kafka_produce = ["chat.events"]
      kafka_consume = []
      s3_prefixes   = ["avatars/"]
      public        = false
    }
    chat = {
      port          = 8083
      database      = "chat"
      kafka_produce = ["chat.messages", "chat.events"]
      # Fan-out to its own WebSockets (messages and events) and session revocations from auth.
      kafka_consume = ["chat.messages", "chat.events", "identity.events"]
      s3_prefixes   = ["attachments/"]
      public        = false
    }
    notification = {
      port          = 8084
      database      = "notification"
      kafka_produce = ["notification.dead-letter"]
      kafka_consume = ["chat.messages", "chat.events", "notification.dead-letter"]
      s3_prefixes   = []
      public        = false
    }
  }

  services = { for name, svc in local.catalogue : name => merge(svc, lookup(var.overrides, name, {})) }

  topics = sort(distinct(flatten([for svc in local.services : concat(svc.kafka_produce, svc.kafka_consume)])))
}

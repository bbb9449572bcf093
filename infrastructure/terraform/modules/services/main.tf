# The five services in one place: ports, databases, Kafka topics, S3 prefixes and ALB routes. The ecs, iam and
# monitoring modules and the platform module read this catalogue, so a new topic or route is declared once.
#
# Kafka topics: the Shared code will define the final list; these three names scope the IAM policies meanwhile.
# Consumer groups are named after the consuming service (the iam module grants `group/<service>*`).

locals {
  catalogue = {
    "api-gateway" = {
      port          = 8080
      database      = "gateway"
      kafka_produce = []
      kafka_consume = []
      s3_prefixes   = []
      # The gateway takes every request no other rule claims (the listener's default action).
      path_patterns = []
      priority      = 0
    }
    auth = {
      port = 8081
      # auth and user share the identity database (ServiceName.databaseName): auth writes the account and its
      # profile row in one transaction; user owns the profile fields, contacts and blocks.
      database      = "identity"
      kafka_produce = []
      kafka_consume = []
      s3_prefixes   = []
      path_patterns = ["/v1/auth/*"]
      priority      = 110
    }
    user = {
      port          = 8082
      database      = "identity"
      kafka_produce = ["chat.events"]
      kafka_consume = []
      s3_prefixes   = ["avatars/"]
      path_patterns = ["/v1/users/*"]
      priority      = 120
    }
    chat = {
      port          = 8083
      database      = "chat"
      kafka_produce = ["chat.messages", "chat.events"]
      kafka_consume = ["chat.events"]
      s3_prefixes   = ["attachments/"]
      # WebSocket upgrades go straight to chat: one hop less for every long-lived connection.
      path_patterns = ["/v1/ws", "/v1/ws/*"]
      priority      = 100
    }
    notification = {
      port          = 8084
      database      = "notification"
      kafka_produce = ["notification.dead-letter"]
      kafka_consume = ["chat.messages", "chat.events", "notification.dead-letter"]
      s3_prefixes   = []
      path_patterns = ["/v1/notifications/*"]
      priority      = 130
    }
  }

  services = { for name, svc in local.catalogue : name => merge(svc, lookup(var.overrides, name, {})) }

  topics = sort(distinct(flatten([for svc in local.services : concat(svc.kafka_produce, svc.kafka_consume)])))
}

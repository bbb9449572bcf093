# Where alarms go, by priority. Every alarm notifies exactly one topic:
#   critical  the API failing its users or about to (5xx rate, p95 latency, unhealthy or missing tasks, consumer lag,
#             a data store about to refuse writes): PagerDuty pages the on-call; also Slack and the alarm_emails
#   warning   capacity and hygiene that can wait for working hours (CPU and memory, dead letters, delivery lag,
#             database CPU, budgets): Slack
# PagerDuty's Amazon CloudWatch integration confirms the HTTPS subscription by itself; Slack goes through AWS Chatbot,
# whose workspace is authorised once in its console (its id is slack_team_id). The topics are encrypted with the logs
# key, whose policy admits CloudWatch.

locals {
  tiers  = ["critical", "warning"]
  topics = { for tier in local.tiers : tier => aws_sns_topic.alarms[tier].arn }
  slack  = var.slack_team_id != "" && var.slack_channel_id != ""
}

resource "aws_sns_topic" "alarms" {
  for_each = toset(local.tiers)

  name              = "${var.name}-alarms-${each.key}"
  kms_master_key_id = var.logs_kms_key_arn
  tags              = merge(var.tags, { Priority = each.key })
}

# CloudWatch alarms and AWS Budgets (the budgets module notifies the warning topic) of this account may publish.
data "aws_iam_policy_document" "topic" {
  for_each = toset(local.tiers)

  statement {
    sid       = "AlarmsAndBudgets"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms[each.key].arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

data "aws_caller_identity" "current" {}

resource "aws_sns_topic_policy" "alarms" {
  for_each = toset(local.tiers)

  arn    = aws_sns_topic.alarms[each.key].arn
  policy = data.aws_iam_policy_document.topic[each.key].json
}

resource "aws_sns_topic_subscription" "pagerduty" {
  for_each = toset(var.pagerduty_integration_urls)

  topic_arn              = aws_sns_topic.alarms["critical"].arn
  protocol               = "https"
  endpoint               = each.value
  endpoint_auto_confirms = true
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms["critical"].arn
  protocol  = "email"
  endpoint  = each.value
}

data "aws_iam_policy_document" "chatbot_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["chatbot.amazonaws.com"]
    }
  }
}

# Chatbot only posts: its role and the channel's guardrail allow reading CloudWatch, nothing else.
resource "aws_iam_role" "chatbot" {
  count = local.slack ? 1 : 0

  name               = "${var.name}-alarms-chatbot"
  assume_role_policy = data.aws_iam_policy_document.chatbot_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "chatbot" {
  count = local.slack ? 1 : 0

  role       = aws_iam_role.chatbot[0].name
  policy_arn = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"
}

resource "aws_chatbot_slack_channel_configuration" "alarms" {
  count = local.slack ? 1 : 0

  configuration_name    = "${var.name}-alarms"
  iam_role_arn          = aws_iam_role.chatbot[0].arn
  slack_team_id         = var.slack_team_id
  slack_channel_id      = var.slack_channel_id
  sns_topic_arns        = values(local.topics)
  guardrail_policy_arns = ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"]
  logging_level         = "ERROR"
  tags                  = var.tags
}

# A monthly cost budget per environment, over the resources that carry its Environment tag (the environments'
# providers tag everything through default_tags; activate "Environment" once per account as a cost allocation tag in
# the Billing console, or the filter matches nothing). Notices go to the monitoring module's warning topic (and the
# addresses below): at 80 % of the month's forecast and at 100 % of what has been spent.

resource "aws_budgets_budget" "monthly" {
  name         = "${var.name}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_limit_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  cost_filter {
    name = "TagKeyValue"
    # The filter value is <tag>$<value>.
    values = [format("user:%s$%s", var.tag_key, var.tag_value)]
  }

  dynamic "notification" {
    for_each = {
      forecast = { type = "FORECASTED", threshold = var.forecast_percent }
      actual   = { type = "ACTUAL", threshold = 100 }
    }
    content {
      comparison_operator        = "GREATER_THAN"
      notification_type          = notification.value.type
      threshold                  = notification.value.threshold
      threshold_type             = "PERCENTAGE"
      subscriber_sns_topic_arns  = [var.sns_topic_arn]
      subscriber_email_addresses = var.emails
    }
  }

  tags = var.tags
}

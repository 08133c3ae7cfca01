"""SES delivery events: parse what SES publishes (SNS -> SQS), apply it to the email
logs, suppress bad addresses, consume the queue, watch the bounce/complaint rates, and
simulate the SES mailbox simulator in the sandbox."""

"""Provisioning (`depllc setup`), the IAM policy (`depllc iam-policy`) and the checks
(`depllc doctor`): the guide's phase 1 as one idempotent command and one diagnosis."""

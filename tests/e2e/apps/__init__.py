"""Helpers of the acceptance tests with real PHP applications (issue 13)."""

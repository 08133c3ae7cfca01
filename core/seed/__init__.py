"""Seed data for the sandbox, built by `core.sandbox_seed.seed_all`."""

"""The console's screens: Logs, Compose, Files, Dashboard (one module each)."""

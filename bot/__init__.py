"""SME Advisor gateway, channels, CLI and settings."""

"""Configuration model and loading (config-as-code)."""

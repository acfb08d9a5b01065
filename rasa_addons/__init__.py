"""Rasa-side components (run inside .venv-rasa; they never import the project's own packages)."""

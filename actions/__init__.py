"""rasa-sdk custom actions. Thin: each calls a plain function of `index/` or the trainer directory."""

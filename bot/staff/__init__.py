"""The staff side of the gateway: sessions, knowledge uploads, status, unanswered questions, retrain
jobs."""

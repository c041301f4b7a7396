"""Deployment helpers: reading ``s.yaml``, matching EventBridge patterns, checking what is deployed."""

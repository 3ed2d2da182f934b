"""Belief tracking and policies (pure Python, no Django)."""
